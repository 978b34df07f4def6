package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// A change of the store is a transaction. Its writer, holding the store's
// lock, stages every directory or file it puts in place in a directory of
// its own below .staging, syncs them, and writes the list of its renames,
// the journal, as the file "intent". Renaming "intent" to "journal" is the
// commit: before it the change is not there, after it the change is made,
// even if the process dies at once. Then the renames are done, each
// replaced original moved into the transaction's directory, the journal is
// removed and the directory with it, old keys and all.
//
// Whoever takes the lock next recovers first (recover.go): a transaction
// with a journal is rolled forward, every other staging directory is
// removed. Every step of rolling forward can be repeated, so a crash while
// recovering is recovered again. A transaction may put any number of
// machines: a fleet commits with one journal.

// stagingName is the store's scratch directory, inside the store so that
// renames out of it stay on one file system and are atomic.
const stagingName = ".staging"

// The journal's file names in a transaction's directory.
const (
	intentFile  = "intent"  // written while staging; not in force
	journalFile = "journal" // in force: the change is committed
)

// journalVersion is the format version of a journal.
const journalVersion = 1

// opKind is what a journal entry does to its target.
type opKind string

const (
	// opPut moves the staged new/N into place at the target, the target's
	// old content to old/N.
	opPut opKind = "put"
	// opRemove moves the target to old/N.
	opRemove opKind = "remove"
)

// txOp is one entry of a journal.
type txOp struct {
	Kind opKind `json:"op"`
	// Target is the path it changes, relative to the store's root, with
	// slashes.
	Target string `json:"target"`
}

// journal is the content of a transaction's intent and journal files.
type journal struct {
	Version int    `json:"version"`
	Ops     []txOp `json:"ops"`
}

// txn is a transaction being staged, committed or rolled forward.
type txn struct {
	f    files
	dir  string
	ops  []txOp
	done bool // committed or discarded
	// staging: this process staged the transaction, so every staged
	// entry is there when it commits; false when rolling one forward.
	staging bool
	// parents are the targets' directories made private so far.
	parents map[string]bool
}

// begin starts a transaction. The caller holds the store's lock until it
// has committed or discarded it.
func (s *Store) begin(label string) (*txn, error) {
	f := s.files()
	base := filepath.Join(s.Root, stagingName)
	if err := f.mkdirPrivate(base); err != nil {
		return nil, err
	}
	t := &txn{f: f, dir: filepath.Join(base, label+"-"+randomSuffix()), staging: true, parents: map[string]bool{}}
	for _, d := range []string{t.dir, filepath.Join(t.dir, "new"), filepath.Join(t.dir, "old")} {
		if err := f.disk.Mkdir(d, dirMode); err != nil {
			f.removeAll(t.dir)
			return nil, err
		}
	}
	return t, nil
}

// put adds the replacement of target (a path inside the store, which need
// not exist) and returns where to stage its new content: a directory or a
// file the caller makes. A link at target, or on its way, is refused.
func (t *txn) put(target string) (string, error) {
	return t.putChecked(target, target)
}

// putAbsent is put of a target the caller has just found absent, under
// the lock, the directories on its way checked: nothing is there to be a
// link, and it is not looked at again.
func (t *txn) putAbsent(target string) (string, error) {
	return t.putChecked(target, filepath.Dir(target))
}

// putChecked is put with check, target or its directory, checked for
// links on the way.
func (t *txn) putChecked(target, check string) (string, error) {
	if err := t.add(opPut, target, check); err != nil {
		return "", err
	}
	// The parent must be there for the rename; making it changes nothing
	// a reader sees. Under the lock, once is enough.
	if dir := filepath.Dir(target); !t.parents[dir] {
		if err := t.f.mkdirPrivate(dir); err != nil {
			return "", err
		}
		t.parents[dir] = true
	}
	return t.staged(len(t.ops) - 1), nil
}

// remove adds the removal of target, which need not exist. A link to
// remove is moved itself, which follows nothing, so only the directories
// on its way are checked.
func (t *txn) remove(target string) error { return t.add(opRemove, target, filepath.Dir(target)) }

// add adds an entry, refusing a link on the way to check now, not in the
// commit, after the caller has shown what it staged.
func (t *txn) add(kind opKind, target, check string) error {
	rel, err := filepath.Rel(t.f.root, target)
	if err != nil {
		return err
	}
	op := txOp{Kind: kind, Target: filepath.ToSlash(rel)}
	if err := checkOp(op); err != nil {
		return err
	}
	if err := t.f.check(check); err != nil {
		return err
	}
	t.ops = append(t.ops, op)
	return nil
}

func (t *txn) staged(i int) string { return filepath.Join(t.dir, "new", strconv.Itoa(i)) }
func (t *txn) backup(i int) string { return filepath.Join(t.dir, "old", strconv.Itoa(i)) }
func (t *txn) target(i int) string {
	return filepath.Join(t.f.root, filepath.FromSlash(t.ops[i].Target))
}

// dropFrom takes entries n and after back out of a transaction being
// staged, with what was staged for them.
func (t *txn) dropFrom(n int) {
	for i := n; i < len(t.ops); i++ {
		t.f.removeAll(t.staged(i))
	}
	t.ops = t.ops[:n]
}

// discard removes a transaction that was not committed.
func (t *txn) discard() {
	if !t.done {
		t.done = true
		t.f.removeAll(t.dir)
	}
}

// commit makes the change. An error before the commit point leaves the
// store as it was; so does one after it, when every rename done could be
// undone. Otherwise the error is an *UnfinishedError and the next command
// completes the change.
func (t *txn) commit() error {
	if err := t.prepare(); err != nil {
		t.discard()
		return err
	}
	intent, jpath := filepath.Join(t.dir, intentFile), filepath.Join(t.dir, journalFile)
	if err := t.f.rename(intent, jpath); err != nil {
		t.discard()
		return err
	}
	if err := t.f.disk.SyncDir(t.dir); err != nil {
		t.discard()
		return err
	}
	t.done = true
	if err := t.apply(); err != nil {
		if rerr := t.rollback(); rerr != nil {
			return &UnfinishedError{Dir: t.dir, Err: errors.Join(err, rerr)}
		}
		t.f.removeAll(t.dir)
		return err
	}
	// The change is made: a journal left behind by a failure from here on
	// is rolled forward again, harmlessly, by the next command.
	if t.f.disk.Remove(jpath) == nil {
		t.f.removeAll(t.dir)
	}
	return nil
}

// prepare syncs what is staged and writes the journal as the intent.
func (t *txn) prepare() error {
	if err := t.syncStaged(); err != nil {
		return err
	}
	data, err := json.Marshal(journal{Version: journalVersion, Ops: t.ops})
	if err != nil {
		return err
	}
	f := t.f
	f.deferSync = false // the intent is synced on its own, after what it lists
	if err := f.writeNew(filepath.Join(t.dir, intentFile), append(data, '\n'), keyMode); err != nil {
		return err
	}
	return t.f.disk.SyncDir(t.dir)
}

// syncStaged makes everything staged durable: directory by directory (the
// files were synced as they were written), or for a batch, whose files
// were not, its whole file system at once.
func (t *txn) syncStaged() error {
	if t.f.deferSync {
		return t.f.syncFS(t.dir)
	}
	return t.f.syncTree(filepath.Join(t.dir, "new"))
}

// apply does, or completes, every rename of the journal, then syncs the
// directories they changed.
func (t *txn) apply() error {
	dirs := []string{filepath.Join(t.dir, "new"), filepath.Join(t.dir, "old")}
	for i := range t.ops {
		if err := t.applyOp(i); err != nil {
			return err
		}
		if d := filepath.Dir(t.target(i)); !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	for _, d := range dirs {
		if err := t.f.disk.SyncDir(d); err != nil {
			return err
		}
	}
	return nil
}

// applyOp does entry i, or what is left of it: each of its states after a
// crash is recognised, so it can run any number of times.
func (t *txn) applyOp(i int) error {
	target, staged, backup := t.target(i), t.staged(i), t.backup(i)
	switch t.ops[i].Kind {
	case opPut:
		if t.staging {
			if moved, err := t.moveStaged(staged, target); moved || err != nil {
				return err
			}
		} else if !t.f.exists(staged) {
			return nil // rolled forward: moved already
		}
		if t.f.exists(target) {
			if t.f.exists(backup) {
				return &CorruptError{Path: target, Err: errors.New("is back in place though the change that moved it away is not complete")}
			}
			if err := t.f.rename(target, backup); err != nil {
				return err
			}
		}
		return t.f.rename(staged, target)
	case opRemove:
		if t.f.exists(backup) || !t.f.exists(target) {
			return nil
		}
		return t.f.rename(target, backup)
	}
	return fmt.Errorf("unknown journal entry %q", t.ops[i].Kind)
}

// moveStaged moves what this process staged to target in one step where
// the disk can refuse to replace anything (NoReplacer); moved is false
// when it cannot, or when something is at target: then the caller moves
// that aside first.
func (t *txn) moveStaged(staged, target string) (moved bool, err error) {
	d, ok := t.f.disk.(NoReplacer)
	if !ok {
		return false, nil
	}
	if err := t.f.check(filepath.Dir(staged)); err != nil {
		return false, err
	}
	if err := t.f.check(filepath.Dir(target)); err != nil {
		return false, err
	}
	err = d.RenameNoReplace(staged, target)
	if errors.Is(err, fs.ErrExist) || errors.Is(err, errors.ErrUnsupported) {
		return false, nil
	}
	return err == nil, err
}

// rollback undoes the renames of a commit that failed, last first, then
// removes the journal. A crash while it runs is rolled forward.
func (t *txn) rollback() error {
	for i := len(t.ops) - 1; i >= 0; i-- {
		target, staged, backup := t.target(i), t.staged(i), t.backup(i)
		if t.ops[i].Kind == opPut && !t.f.exists(staged) && t.f.exists(target) {
			if err := t.f.rename(target, staged); err != nil {
				return err
			}
		}
		if t.f.exists(backup) {
			if err := t.f.rename(backup, target); err != nil {
				return err
			}
		}
	}
	return t.f.disk.Remove(filepath.Join(t.dir, journalFile))
}

// readJournal reads the journal in force in a transaction's directory; nil
// when there is none.
func readJournal(f files, dir string) (*journal, error) {
	path := filepath.Join(dir, journalFile)
	data, err := f.readFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	j, err := parseJournal(data)
	if err != nil {
		return nil, &CorruptError{Path: path, Err: err}
	}
	return j, nil
}

// parseJournal decodes a journal strictly and checks every target.
func parseJournal(data []byte) (*journal, error) {
	var j journal
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return nil, err
	}
	if j.Version != journalVersion {
		return nil, fmt.Errorf("unexpected version %d", j.Version)
	}
	for _, op := range j.Ops {
		if err := checkOp(op); err != nil {
			return nil, err
		}
	}
	return &j, nil
}

// checkOp accepts what a transaction changes: a machine's host or client
// directory, a shared CA, or a client record, each by a valid name, so
// that a journal never leads outside the store.
func checkOp(op txOp) error {
	if op.Kind != opPut && op.Kind != opRemove {
		return fmt.Errorf("unknown journal entry %q", op.Kind)
	}
	bad := fmt.Errorf("journal target %q is not a part of the store", op.Target)
	parts := strings.Split(op.Target, "/")
	switch {
	case len(parts) == 2 && (parts[0] == "hosts" || parts[0] == "machines"):
		return ValidateName("machine", parts[1])
	case len(parts) == 2 && parts[0] == "cas":
		return ValidateName("CA", parts[1])
	case len(parts) == 4 && parts[0] == "hosts" && parts[2] == clientsDir:
		user, ok := strings.CutSuffix(parts[3], ".pem")
		if !ok {
			return bad
		}
		return errors.Join(ValidateName("machine", parts[1]), ValidateName("user", user))
	}
	return bad
}

// UnfinishedError reports a change that failed after its commit point and
// could not be undone: the next command that writes the store completes it.
type UnfinishedError struct {
	Dir string
	Err error
}

func (e *UnfinishedError) Error() string {
	return fmt.Sprintf("the change is recorded in %s but could not be completed (%v): the next dockbake command that opens the store completes it", e.Dir, e.Err)
}

func (e *UnfinishedError) Unwrap() error { return e.Err }
