package store

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/dockbake/dockbake/generator"
)

// later moves List's clock past the racy window, as if the files of the
// store were made a while ago, for the rest of the test.
func later(t *testing.T) {
	t.Helper()
	listClock = func() time.Time { return time.Now().Add(time.Minute) }
	t.Cleanup(func() { listClock = time.Now })
}

// mustList is List, failing the test on an error.
func mustList(t *testing.T, s *Store) []Listed {
	t.Helper()
	l, err := s.List(false)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return l
}

// cached is what the cache file of s holds.
func cached(t *testing.T, s *Store) map[string]*cachedMachine {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(s.Root, listCacheFile))
	if err != nil {
		t.Fatalf("the list cache: %v", err)
	}
	all, err := decodeListCache(data)
	if err != nil {
		t.Fatalf("the list cache: %v", err)
	}
	c := all.byName()
	for name, m := range c {
		if c[name], err = m.parsed(); err != nil {
			t.Fatalf("the list cache's %s: %v", name, err)
		}
	}
	return c
}

// listAgrees wants List to show what a check of every machine finds,
// without any cache.
func listAgrees(t *testing.T, s *Store, got []Listed) {
	t.Helper()
	all, err := s.CheckAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(all) {
		t.Fatalf("List shows %d machines, CheckAll finds %d", len(got), len(all))
	}
	for i, c := range all {
		want := listedFrom(s, c)
		if fmt.Sprint(got[i]) != fmt.Sprint(want) {
			t.Errorf("List shows\n%+v\nCheck finds\n%+v", got[i], want)
		}
	}
}

func TestListRemembersWholeMachines(t *testing.T) {
	s := testStore(t)
	mustCreate(t, s, "web1", "")
	mustCreate(t, s, "web2", "shared")
	later(t)
	first := mustList(t, s)
	listAgrees(t, s, first)
	c := cached(t, s)
	if len(c) != 2 || c["web1"] == nil || c["web2"] == nil {
		t.Fatalf("the cache holds %v, want web1 and web2", c)
	}
	if !slices.ContainsFunc(c["web2"].dirs, func(d dirState) bool { return d.rel == filepath.Join("cas", "shared") }) {
		t.Errorf("web2's shared CA directory is not among its states: %+v", c["web2"].dirs)
	}
	for _, name := range []string{"web1", "web2"} {
		tops := openTops(s.Root)
		l, kept, err := s.oneRead().listOne(tops, name, c[name])
		tops.close()
		if err != nil || kept != c[name] {
			t.Errorf("%s: a machine unchanged since the last List is checked again (%v)", name, err)
		}
		if fmt.Sprint(l) != fmt.Sprint(first[slices.IndexFunc(first, func(l Listed) bool { return l.Name == name })]) {
			t.Errorf("%s from the cache: %+v", name, l)
		}
	}
	listAgrees(t, s, mustList(t, s))

}

// TestListRecheck: List(true) checks every machine whatever the cache
// says, and keeps what it found. The cache here is made to say something
// the store does not, to tell the two apart.
func TestListRecheck(t *testing.T) {
	s := testStore(t)
	mustCreate(t, s, "web1", "")
	later(t)
	real := mustList(t, s)[0]
	c := cached(t, s)
	c["web1"].summary.url = "tcp://198.51.100.99:2376"
	if err := os.WriteFile(filepath.Join(s.Root, listCacheFile), encodeListCache(cacheFrom(c, nil)), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := mustList(t, s)[0]; got.URL != "tcp://198.51.100.99:2376" {
		t.Fatalf("List does not show what the cache says (%q): the test proves nothing", got.URL)
	}
	all, err := s.List(true)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(all[0]) != fmt.Sprint(real) {
		t.Errorf("List(true) shows %+v, the store holds %+v", all[0], real)
	}
	if got := cached(t, s)["web1"].summary.url; got != real.URL {
		t.Errorf("List(true) did not keep what it found: the cache says %q", got)
	}
}

// TestListChangeDuringCheck: a machine whose files change while it is
// checked (here its clients directory goes away) is not remembered.
func TestListChangeDuringCheck(t *testing.T) {
	s := testStore(t)
	mustCreate(t, s, "web1", "")
	clients := filepath.Join(s.HostDir("web1"), clientsDir)
	if err := os.Mkdir(clients, 0o700); err != nil {
		t.Fatal(err)
	}
	later(t)
	listChecked = func(string) { os.Remove(clients) }
	t.Cleanup(func() { listChecked = func(string) {} })
	mustList(t, s)
	if c := cached(t, s); c["web1"] != nil {
		t.Errorf("a machine changed while it was checked is remembered: %+v", c["web1"])
	}
}

// TestListRacy: files changed within the racy window of the check are
// read again next time, however often List runs.
func TestListRacy(t *testing.T) {
	s := testStore(t)
	mustCreate(t, s, "web1", "")
	mustList(t, s)
	if c := cached(t, s); len(c) != 0 {
		t.Fatalf("a machine made just now is remembered: %v", c)
	}
}

// TestListSeesDamageAfterCaching damages a remembered machine in every
// way the check knows, most of them writing a file in place, and wants
// List to find what Check finds.
func TestListSeesDamageAfterCaching(t *testing.T) {
	for _, tc := range checkDamages {
		t.Run(tc.name, func(t *testing.T) {
			s := testStore(t)
			mustCreate(t, s, "web1", "")
			mustCreate(t, s, "other", "")
			later(t)
			listAgrees(t, s, mustList(t, s))
			if len(cached(t, s)) != 2 {
				t.Fatal("the machines are not remembered")
			}
			tc.damage(t, s)
			got := mustList(t, s)
			listAgrees(t, s, got)
			if tc.want != "" && len(got[1].Problems) == 0 {
				t.Errorf("web1 is listed whole after %s", tc.name)
			}
			if _, ok := cached(t, s)["web1"]; ok && tc.want != "" {
				t.Errorf("damaged web1 is remembered")
			}
		})
	}
}

// TestListSeesSameSizeEdit changes one byte of a certificate in place,
// keeping its size and modification time: the change time still tells.
func TestListSeesSameSizeEdit(t *testing.T) {
	s := testStore(t)
	mustCreate(t, s, "web1", "")
	later(t)
	mustList(t, s)
	path := filepath.Join(s.HostDir("web1"), serverCertFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, 100); err != nil { // inside the base64 of the certificate
		t.Fatal(err)
	}
	b[0] = map[bool]byte{true: 'B', false: 'A'}[b[0] == 'A']
	if _, err := f.WriteAt(b, 100); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	got := mustList(t, s)
	listAgrees(t, s, got)
	if len(got[0].Problems) == 0 {
		t.Errorf("a certificate changed in place is listed whole")
	}
}

// cacheFrom is a cache of machines, by name, and tops.
func cacheFrom(machines map[string]*cachedMachine, tops *topStates) listCache {
	c := listCache{names: slices.Sorted(maps.Keys(machines)), tops: tops}
	for _, n := range c.names {
		c.entries = append(c.entries, machines[n])
	}
	return c
}

// byName is the machines of c by name.
func (c listCache) byName() map[string]*cachedMachine {
	m := map[string]*cachedMachine{}
	for i, n := range c.names {
		m[n] = c.entries[i]
	}
	return m
}

// cacheOf is the whole of what the cache file of s holds, as read.
func cacheOf(t *testing.T, s *Store) listCache {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(s.Root, listCacheFile))
	if err != nil {
		t.Fatalf("the list cache: %v", err)
	}
	c, err := decodeListCache(data)
	if err != nil {
		t.Fatalf("the list cache: %v", err)
	}
	return c
}

func listedNames(l []Listed) []string {
	var names []string
	for _, m := range l {
		names = append(names, m.Name)
	}
	return names
}

// TestListTakesNamesFromCache: while neither the hosts nor the machines
// directory has changed since a List that found every machine whole, the
// next List takes the names from the cache (shown by a cache that leaves
// web2 out); an entry added, removed or renamed in either, by the store
// or by hand, sends List back to the directories.
func TestListTakesNamesFromCache(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, s *Store) error
	}{
		{"a machine made", func(t *testing.T, s *Store) error { mustCreate(t, s, "web3", ""); return nil }},
		{"a machine removed", func(t *testing.T, s *Store) error { return s.Remove("web1") }},
		{"a client directory made by hand", func(t *testing.T, s *Store) error {
			return os.Mkdir(filepath.Join(s.Root, "machines", "stray"), 0o700)
		}},
		{"a host directory renamed", func(t *testing.T, s *Store) error {
			return os.Rename(s.HostDir("web1"), s.HostDir("web9"))
		}},
		{"a client directory removed by hand", func(t *testing.T, s *Store) error { return os.RemoveAll(s.ClientDir("web1")) }},
		{"the hosts directory replaced", func(t *testing.T, s *Store) error {
			hosts := filepath.Join(s.Root, "hosts")
			if err := os.Rename(hosts, hosts+".old"); err != nil {
				return err
			}
			return os.CopyFS(hosts, os.DirFS(hosts+".old"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testStore(t)
			mustCreate(t, s, "web1", "")
			mustCreate(t, s, "web2", "")
			later(t)
			listAgrees(t, s, mustList(t, s))
			c := cacheOf(t, s)
			if c.tops == nil {
				t.Fatal("a List that found every machine whole kept no state of the top directories")
			}
			machines := c.byName()
			delete(machines, "web2")
			if err := os.WriteFile(filepath.Join(s.Root, listCacheFile), encodeListCache(cacheFrom(machines, c.tops)), 0o600); err != nil {
				t.Fatal(err)
			}
			if got := listedNames(mustList(t, s)); !slices.Equal(got, []string{"web1"}) {
				t.Fatalf("List shows %v: it did not take the names from the cache, and the test proves nothing", got)
			}
			if err := tc.change(t, s); err != nil {
				t.Fatal(err)
			}
			listAgrees(t, s, mustList(t, s))
		})
	}
}

// TestCachedFor: the cached machine of each name, for the cache's own
// names and for lists that have more, fewer and other names.
func TestCachedFor(t *testing.T) {
	a, c, e := &cachedMachine{}, &cachedMachine{}, &cachedMachine{}
	cache := cacheFrom(map[string]*cachedMachine{"a": a, "c": c, "e": e}, nil)
	if got := cache.cachedFor(cache.names); !slices.Equal(got, []*cachedMachine{a, c, e}) {
		t.Errorf("its own names: %v", got)
	}
	for _, tc := range []struct {
		names []string
		want  []*cachedMachine
	}{
		{[]string{"a", "c", "e"}, []*cachedMachine{a, c, e}},
		{[]string{"a", "b", "c", "d", "e", "f"}, []*cachedMachine{a, nil, c, nil, e, nil}},
		{[]string{"0", "c"}, []*cachedMachine{nil, c}},
		{[]string{"e"}, []*cachedMachine{e}},
		{nil, nil},
	} {
		if got := cache.cachedFor(tc.names); !slices.Equal(got, tc.want) {
			t.Errorf("cachedFor(%q) = %v, want %v", tc.names, got, tc.want)
		}
	}
	if got := (listCache{}).cachedFor([]string{"a"}); !slices.Equal(got, []*cachedMachine{nil}) {
		t.Errorf("no cache: %v", got)
	}
}

// TestListKeepsNoNamesWithDamage: the names are kept only with every
// machine: a damaged one, which is not remembered, is listed again by the
// next List.
func TestListKeepsNoNamesWithDamage(t *testing.T) {
	s := testStore(t)
	mustCreate(t, s, "web1", "")
	mustCreate(t, s, "web2", "")
	later(t)
	if err := os.Remove(filepath.Join(s.ClientDir("web2"), "key.pem")); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		got := mustList(t, s)
		listAgrees(t, s, got)
		if len(got) != 2 || len(got[1].Problems) == 0 {
			t.Fatalf("List shows %+v, want web1 whole and web2 damaged", got)
		}
		if c := cacheOf(t, s); c.tops != nil || c.byName()["web2"] != nil {
			t.Errorf("the cache holds the top directories %v and web2 %v beside a damaged machine", c.tops, c.byName()["web2"])
		}
	}
}

// TestListNamesRacy: the state of the top directories is kept only when
// they last changed more than racyWindow before the List: a change within
// the same tick of the file system's clock would leave it as it was.
func TestListNamesRacy(t *testing.T) {
	s := testStore(t)
	mustCreate(t, s, "web1", "")
	tp := openTops(s.Root)
	defer tp.close()
	now, ok := tp.states()
	if !ok {
		t.Skip("no state of the top directories here")
	}
	last := max(now[0].mtime, now[0].ctime, now[1].mtime, now[1].ctime)
	t.Cleanup(func() { listClock = time.Now })
	for _, c := range []struct {
		after time.Duration
		kept  bool
	}{{0, false}, {racyWindow - time.Millisecond, false}, {racyWindow + time.Millisecond, true}} {
		listClock = func() time.Time { return time.Unix(0, last).Add(c.after) }
		names, tops, err := s.listNames(tp, listCache{})
		if err != nil || !slices.Equal(names, []string{"web1"}) {
			t.Fatalf("listNames: %v, %v", names, err)
		}
		if (tops != nil) != c.kept {
			t.Errorf("a List %v after the last change of the top directories keeps their state: %v, want %v", c.after, tops != nil, c.kept)
		}
	}
}

func TestListForgetsRemovedMachines(t *testing.T) {
	s := testStore(t)
	mustCreate(t, s, "web1", "")
	mustCreate(t, s, "web2", "")
	later(t)
	mustList(t, s)
	if err := s.Remove("web1"); err != nil {
		t.Fatal(err)
	}
	got := mustList(t, s)
	if len(got) != 1 || got[0].Name != "web2" {
		t.Fatalf("List after rm: %+v", got)
	}
	if c := cached(t, s); len(c) != 1 || c["web2"] == nil {
		t.Errorf("the cache after rm holds %v", c)
	}
	// The same name made again is a new machine, read anew.
	mustCreate(t, s, "web1", "")
	listAgrees(t, s, mustList(t, s))
}

// TestListForgetsRemovedBesideDamage: with a damaged machine in the store
// no state of the top directories is kept, and a machine removed is still
// dropped from the cache.
func TestListForgetsRemovedBesideDamage(t *testing.T) {
	s := testStore(t)
	for _, n := range []string{"web1", "web2", "web3"} {
		mustCreate(t, s, n, "")
	}
	later(t)
	if err := os.Remove(filepath.Join(s.ClientDir("web2"), "key.pem")); err != nil {
		t.Fatal(err)
	}
	mustList(t, s)
	if err := s.Remove("web3"); err != nil {
		t.Fatal(err)
	}
	listAgrees(t, s, mustList(t, s))
	if c := cached(t, s); len(c) != 1 || c["web1"] == nil {
		t.Errorf("the cache after rm holds %v, want web1 alone", c)
	}
}

// TestListKeepsWhatChanged: a machine whose files changed but that is
// still whole is remembered as it is now, so that the next List need not
// check it again.
func TestListKeepsWhatChanged(t *testing.T) {
	s := testStore(t)
	mustCreate(t, s, "web1", "")
	mustCreate(t, s, "web2", "")
	later(t)
	mustList(t, s)
	path := filepath.Join(s.HostDir("web1"), serverCertFile)
	then := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(path, then, then); err != nil {
		t.Fatal(err)
	}
	listAgrees(t, s, mustList(t, s))
	var mtime int64
	for _, d := range cached(t, s)["web1"].dirs {
		for _, e := range d.entries {
			if d.rel == filepath.Join("hosts", "web1") && e.name == serverCertFile {
				mtime = e.state.mtime
			}
		}
	}
	if mtime != then.UnixNano() {
		t.Errorf("the cache remembers web1's server certificate with mtime %d, it is now %d", mtime, then.UnixNano())
	}
}

// TestListCacheDamaged: a cache that does not read back whole (torn,
// flipped, of another version) is ignored and replaced.
func TestListCacheDamaged(t *testing.T) {
	s := testStore(t)
	mustCreate(t, s, "web1", "")
	later(t)
	mustList(t, s)
	path := filepath.Join(s.Root, listCacheFile)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeListCache(good); err != nil {
		t.Fatal(err)
	}
	flipped := slices.Clone(good)
	flipped[len(listCacheMagic)+3] ^= 0x40
	version := slices.Clone(good)
	version[len(listCacheMagic)-1]++
	for name, data := range map[string][]byte{
		"empty": {}, "torn": good[:len(good)/2], "flipped": flipped, "another version": version,
		"bytes to spare": append(slices.Clone(good), 0),
	} {
		if _, err := decodeListCache(data); !errors.Is(err, errListCache) {
			t.Errorf("%s: decoding gives %v", name, err)
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		listAgrees(t, s, mustList(t, s))
		if c := cached(t, s); c["web1"] == nil {
			t.Errorf("%s: the cache is not written anew", name)
		}
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != keyMode {
		t.Errorf("the cache file: %v, %v; want mode %v", fi, err, keyMode)
	}
}

// TestListRemovesStaleTemps: a temporary cache file a killed List left
// goes with the next write of the cache; one being written now stays.
func TestListRemovesStaleTemps(t *testing.T) {
	s := testStore(t)
	mustCreate(t, s, "web1", "")
	later(t)
	stale := filepath.Join(s.Root, listCacheFile+".killed")
	fresh := filepath.Join(s.Root, listCacheFile+".writing")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("half"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	mustList(t, s)
	if _, err := os.Lstat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the stale temporary file is still there: %v", err)
	}
	if _, err := os.Lstat(fresh); err != nil {
		t.Errorf("a temporary file of a List writing now is gone: %v", err)
	}
}

// TestListCacheRoundTrip: what is written reads back as it was.
func TestListCacheRoundTrip(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	machines := map[string]*cachedMachine{
		"a": {foundMachine: &foundMachine{summary: summary{url: "tcp://192.0.2.1:2376", ca: "x", fleet: "f", attached: true, serverExpires: at, clientExpires: at.Add(time.Hour), caExpires: at.Add(-time.Hour)},
			dirs: []dirState{{rel: "hosts/a", self: fileState{1, 2, 3, 4, 5, 6}, entries: []entryState{{"ca.pem", fileState{7, 8, 9, -1, 11, 12}}}}}}},
		"b": {foundMachine: &foundMachine{summary: summary{serverExpires: at, clientExpires: at, caExpires: at}}},
	}
	for _, tops := range []*topStates{nil, {{1, 2, 3, 4, 5, 6}, {7, 8, 9, 10, 11, -12}}} {
		in := cacheFrom(machines, tops)
		read, err := decodeListCache(encodeListCache(in))
		if err != nil {
			t.Fatal(err)
		}
		out := read.byName()
		for name, m := range out {
			if out[name], err = m.parsed(); err != nil {
				t.Fatal(err)
			}
		}
		if again := encodeListCache(read); string(again) != string(encodeListCache(in)) {
			t.Error("a cache written again from what was read differs")
		}
		if len(out) != 2 || out["a"].raw != nil || out["b"].raw != nil ||
			fmt.Sprint(*out["a"].foundMachine, *out["b"].foundMachine) != fmt.Sprint(*machines["a"].foundMachine, *machines["b"].foundMachine) {
			t.Errorf("read back\n%+v\nwrote\n%+v", out, machines)
		}
		if !slices.Equal(read.names, []string{"a", "b"}) || !sameTops(read.tops, tops) {
			t.Errorf("read back names %q and top directories %v, wrote a, b and %v", read.names, read.tops, tops)
		}
	}
}

// FuzzDecodeListCache: any bytes decode or are refused, never a panic.
func FuzzDecodeListCache(f *testing.F) {
	a := map[string]*cachedMachine{"a": {foundMachine: &foundMachine{dirs: []dirState{{rel: "hosts/a", entries: []entryState{{name: "x"}}}}}}}
	f.Add(encodeListCache(cacheFrom(a, nil)))
	f.Add(encodeListCache(cacheFrom(a, &topStates{})))
	f.Add([]byte(listCacheMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := decodeListCache(data)
		if err != nil {
			return
		}
		for _, m := range c.entries {
			m.parsed()
			m.listed(&Store{Root: "/s"}, "x")
			m.unchanged(func(rel, name []byte) (fileState, bool) { return fileState{}, true })
		}
	})
}

// BenchmarkList lists a store of 1,000 machines that an earlier List
// remembered: the system calls of comparing their files.
func BenchmarkList(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "store"))
	if err != nil {
		b.Fatal(err)
	}
	for i := range 1000 {
		sp := generator.Spec{Name: fmt.Sprintf("m%d", i), IPs: []string{"203.0.113.10"}}.WithDefaults()
		if _, err := s.Create(CreateRequest{Spec: sp}); err != nil {
			b.Fatal(err)
		}
	}
	listClock = func() time.Time { return time.Now().Add(time.Minute) }
	defer func() { listClock = time.Now }()
	if _, err := s.List(false); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.List(false); err != nil {
			b.Fatal(err)
		}
	}
}
