package store

import (
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"time"
)

// Listed is one machine as a listing shows it: what List found. A damaged
// machine has Problems and no expiry; one whose record is damaged has no
// URL, CA, fleet or client directory either.
type Listed struct {
	Name      string
	URL       string
	Attached  bool
	CA        string
	Fleet     string
	ClientDir string
	// ServerExpires, ClientExpires and CAExpires are when the server
	// certificate, the own client certificate and the CA expire.
	ServerExpires, ClientExpires, CAExpires time.Time
	Problems                                []error
}

// listCacheFile keeps, for each machine List found whole, what it showed
// and the state of every file and directory of the machine then.
const listCacheFile = ".list-cache"

// racyWindow is how recent a change may be for List to remember the
// verdict of what it read: a change of a file within the same tick of the
// file system's clock as an earlier one leaves its times as they were, so
// a verdict is remembered only of files unchanged for longer than any
// file system's tick (git's rule for "racily clean" index entries).
const racyWindow = 2 * time.Second

// listChecked is called between a machine's check and the second look at
// its files: a test changes them there, as another program could.
var listChecked = func(name string) {}

// listClock is the time a check of List starts, compared with the
// times of the files it reads: the wall clock, which a test moves on.
var listClock = time.Now

// List is CheckAll as a listing needs it, under one hold of the store's
// shared lock: every machine, sorted by name, with its damage. A machine
// that was whole at an earlier List, and none of whose files and
// directories has changed since (inode, size, mode, modification and
// change time, as git compares a work tree with its index), is shown as
// that List found it, without its certificates being read and verified
// again: a store of ten thousand machines lists in a fraction of a
// second. Every change the store makes replaces files, so a changed
// machine is read and checked again; so is one edited in place. recheck
// checks every machine whatever an earlier List found, and keeps what it
// finds for the next.
func (s *Store) List(recheck bool) ([]Listed, error) {
	unlock, err := s.rlock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	t := openTops(s.Root)
	defer t.close()
	var old listCache
	if !recheck {
		old = s.readListCache()
	}
	names, tops, err := s.listNames(t, old)
	if err != nil {
		return nil, err
	}
	was := old.cachedFor(names)
	out := make([]Listed, len(names))
	errs := make([]error, len(names))
	fresh := make([]*cachedMachine, len(names))
	s.onEveryCPU(len(names), func(w *Store, i int) { out[i], fresh[i], errs[i] = w.listOne(t, names[i], was[i]) })
	return s.listed(names, out, errs, fresh, was, old, tops)
}

// listNames is the names of the store's machines, and the state of its
// top directories that the next List may take them by: from the cache
// while neither directory has changed since it was kept, else read
// (names), with the state the directories had before, unless that is too
// recent to prove them unchanged later (racyWindow).
func (s *Store) listNames(t *tops, old listCache) ([]string, *topStates, error) {
	now, ok := t.states()
	ok = ok && cacheUsable(s)
	if ok && old.tops != nil && *old.tops == now {
		return old.names, old.tops, nil
	}
	start := listClock()
	names, err := s.names()
	if err != nil {
		return nil, nil, err
	}
	if !ok || now.recent(start.Add(-racyWindow).UnixNano()) {
		return names, nil, nil
	}
	return names, &now, nil
}

// listed drops the machines that were not there, stops at the first
// error, and keeps what this List found for the next, unless that is what
// the cache holds already: the machines found whole (fresh, by names; was
// is what the cache held of each), and tops with them if those were every
// machine it listed.
func (s *Store) listed(names []string, out []Listed, errs []error, fresh, was []*cachedMachine, old listCache, tops *topStates) ([]Listed, error) {
	kept := out[:0]
	same, n := old.names != nil, 0
	for i, l := range out {
		switch err := errs[i]; {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return nil, err
		default:
			kept = append(kept, l)
		}
		if fresh[i] != nil {
			n++
		}
		same = same && fresh[i] == was[i]
	}
	if n != len(out) {
		tops = nil
	}
	// Each machine to keep is the one the cache holds of it, and there are
	// as many: the cache holds these and no others.
	if same && n == len(old.names) && sameTops(old.tops, tops) {
		return kept, nil
	}
	next := listCache{names: make([]string, 0, n), entries: make([]*cachedMachine, 0, n), tops: tops}
	for i, c := range fresh {
		if c != nil {
			next.names, next.entries = append(next.names, names[i]), append(next.entries, c)
		}
	}
	s.writeListCache(next)
	return kept, nil
}

// sameTops reports whether two states of the top directories, or their
// absence, are the same.
func sameTops(a, b *topStates) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// listOne is machine name as List shows it: from cached when its files
// are as they were, else read and checked. The second value is what the
// next List may trust: cached, a new record of a machine found whole, or
// nil.
func (s *Store) listOne(t *tops, name string, cached *cachedMachine) (Listed, *cachedMachine, error) {
	if cached != nil && cacheUsable(s) && cached.unchanged(t.look) {
		if l, ok := cached.listed(s, name); ok {
			return l, cached, nil
		}
	}
	start := listClock()
	before, stateErr := s.machineState(name, "")
	c, err := s.checkLocked(name)
	if err != nil {
		return Listed{Name: name}, nil, err
	}
	listChecked(name)
	l := listedFrom(s, c)
	if len(l.Problems) > 0 || stateErr != nil || !cacheUsable(s) {
		return l, nil, nil
	}
	after, err := s.machineState(name, c.Machine.CA)
	if err != nil || len(after) < len(before) || !sameState(before, after[:len(before)]) || racy(after, start) {
		return l, nil, nil
	}
	return l, &cachedMachine{foundMachine: &foundMachine{summary: summaryOf(l), dirs: after}}, nil
}

// listedFrom is a checked machine as a listing shows it.
func listedFrom(s *Store, c Checked) Listed {
	l := Listed{Name: c.Name, Problems: c.Problems}
	m := c.Machine
	if m == nil {
		return l
	}
	l.URL, l.Attached, l.CA, l.Fleet, l.ClientDir = m.Spec.URL(), m.Spec.Attached(), m.CA, m.Fleet, m.ClientDir
	if len(l.Problems) > 0 {
		return l
	}
	for _, e := range []struct {
		at   *time.Time
		read func() (*x509.Certificate, error)
	}{{&l.ServerExpires, m.ServerCert}, {&l.ClientExpires, m.ClientCert}, {&l.CAExpires, m.CACert}} {
		cert, err := e.read()
		if err != nil {
			l.Problems = append(l.Problems, err) // Check passed it: a store that changed since
			return l
		}
		*e.at = cert.NotAfter.UTC()
	}
	return l
}

// cacheUsable reports whether List may remember and trust verdicts: on
// the operating system's disk, whose files it can compare, not on a
// test's Disk, every read of which must go through it.
func cacheUsable(s *Store) bool {
	_, isOS := s.Disk.(osDisk)
	return statSupported && (s.Disk == nil || isOS)
}

// machineState is the state of the host and client directories of
// machine name, and of shared CA ca's unless that is empty, and of
// everything in them.
func (s *Store) machineState(name, ca string) ([]dirState, error) {
	dirs := []string{s.HostDir(name), s.ClientDir(name)}
	if ca != "" {
		dirs = append(dirs, s.CADir(ca))
	}
	var out []dirState
	for _, d := range dirs {
		rel, err := filepath.Rel(s.Root, d)
		if err != nil {
			return nil, err
		}
		states, err := stateTree(s.Root, rel, 2)
		if err != nil {
			return nil, err
		}
		out = append(out, states...)
	}
	return out, nil
}

// racy reports whether anything in dirs changed later than racyWindow
// before start: too recently for its times to prove it unchanged later.
func racy(dirs []dirState, start time.Time) bool {
	limit := start.Add(-racyWindow).UnixNano()
	for _, d := range dirs {
		if d.self.recent(limit) {
			return true
		}
		for _, e := range d.entries {
			if e.state.recent(limit) {
				return true
			}
		}
	}
	return false
}

// readListCache is what the last List kept, empty when there is none or
// it does not read back whole.
func (s *Store) readListCache() listCache {
	if !cacheUsable(s) {
		return listCache{}
	}
	data, err := mapFile(filepath.Join(s.Root, listCacheFile))
	if err != nil {
		return listCache{}
	}
	cache, err := decodeListCache(data)
	if err != nil {
		return listCache{}
	}
	return cache
}

// writeListCache replaces the cache file with cache, by rename, so that a
// List running at the same time reads the old or the new one. The cache
// is a shortcut, not the store: a failure to write it is no failure of
// List, and it is not synced (a torn file fails its checksum).
func (s *Store) writeListCache(cache listCache) {
	if !cacheUsable(s) {
		return
	}
	path := filepath.Join(s.Root, listCacheFile)
	removeStaleTemps(path + ".")
	tmp := path + "." + randomSuffix()
	if err := os.WriteFile(tmp, encodeListCache(cache), keyMode); err != nil {
		os.Remove(tmp)
		return
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
	}
}

// staleTemp is the age past which a temporary cache file is one that a
// killed List left: a List writes and renames its own in far less.
const staleTemp = time.Minute

// removeStaleTemps removes the temporary cache files (prefix, then a
// random suffix) that Lists killed before their rename left, and leaves
// those of Lists writing now.
func removeStaleTemps(prefix string) {
	temps, _ := filepath.Glob(prefix + "*")
	for _, t := range temps {
		if fi, err := os.Lstat(t); err == nil && fi.Mode().IsRegular() && time.Since(fi.ModTime()) > staleTemp {
			os.Remove(t)
		}
	}
}
