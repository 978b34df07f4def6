package store

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/pki"
)

// A Batch is many changes of the store made as one transaction (txn.go):
// creates, rotations, new specs and removals of any number of machines,
// staged under the store's lock and committed with one journal. Its files
// are written without a sync each; before the commit one sync of the
// whole file system (FSSyncer) makes them all durable at once, so a
// thousand machines cost one sync where one at a time cost eight
// thousand. A crash at any moment leaves every machine of the batch as it
// was or as it was to be, never a mix: before the commit none of the
// batch is there, after it all of it, rolled forward by the next command.

// FSSyncer is a Disk that can make every change of the file system that
// holds a path durable in one step. A Batch uses it for its commit; on a
// Disk without it a batch syncs file by file, as every other change does.
type FSSyncer interface {
	SyncFS(path string) error
}

// syncFS syncs the file system that holds path, through the Disk.
func (f files) syncFS(path string) error {
	if d, ok := f.disk.(FSSyncer); ok {
		return d.SyncFS(path)
	}
	return fmt.Errorf("syncing %s: the store's disk cannot sync a file system: %w", path, errors.ErrUnsupported)
}

// Batch is a transaction of many machines being staged. It holds the
// store's lock from BeginBatch to Commit or Discard.
type Batch struct {
	s      *Store // the store, with deferSync where the disk can
	t      *txn
	unlock func()
	staged map[string]bool      // machines with a change staged
	cas    map[string]*pki.Pair // shared CAs read or staged
	taken  map[string]bool      // names in hosts and machines (Names); nil: not listed
}

// BeginBatch takes the store's lock, completes what an earlier command
// left, and starts a batch. Call Commit or Discard, and do not Load from
// the same store meanwhile: that waits for the lock; Batch.Load reads.
func (s *Store) BeginBatch(label string) (*Batch, error) {
	bs := *s
	_, bs.deferSync = bs.files().disk.(FSSyncer)
	bs.dirs = map[string]bool{}
	unlock, err := bs.lock()
	if err != nil {
		return nil, err
	}
	t, err := bs.begin(label)
	if err != nil {
		unlock()
		return nil, err
	}
	if d, ok := t.f.disk.(osDisk); ok {
		// Every file of the batch is made below t.dir.
		bs.Disk = d.probed(t.dir)
		t.f.disk = bs.Disk
	}
	return &Batch{s: &bs, t: t, unlock: unlock, staged: map[string]bool{}, cas: map[string]*pki.Pair{}}, nil
}

// Names lists the machines in the store as Store.Names does. It notes
// too every name the store's machine directories hold, of anything at
// all: under the lock they stay as they are, and Create then knows that a
// new machine's paths are free without looking at each.
func (b *Batch) Names() ([]string, error) {
	names, err := b.s.names()
	if err != nil {
		return nil, err
	}
	b.taken = b.listTaken()
	return names, nil
}

// listTaken is the set of names in the hosts and machines directories;
// nil when one of them cannot be read.
func (b *Batch) listTaken() map[string]bool {
	f := b.s.files()
	taken := map[string]bool{}
	for _, dir := range []string{"hosts", "machines"} {
		entries, err := f.readDir(filepath.Join(b.s.Root, dir))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil
		}
		for _, e := range entries {
			taken[e.Name()] = true
		}
	}
	return taken
}

// exists reports whether anything of machine name is in the store: by
// the names noted, or by a look.
func (b *Batch) exists(name string) bool {
	if b.taken != nil {
		return b.taken[name]
	}
	return b.s.Exists(name)
}

// Load reads machine name as it is in the store, under the batch's lock.
func (b *Batch) Load(name string) (*Machine, error) {
	if err := ValidateName("machine", name); err != nil {
		return nil, err
	}
	return b.s.read(name)
}

// Commit makes every change of the batch and releases the lock. A batch
// with nothing staged changes nothing. Errors are those of Change.Commit.
func (b *Batch) Commit() error {
	if b.unlock == nil {
		return errChangeDone
	}
	defer b.release()
	if len(b.t.ops) == 0 {
		b.t.discard()
		return nil
	}
	return b.t.commit()
}

// Discard drops everything staged, keys and all, and releases the lock.
// It may be called after Commit, to no effect.
func (b *Batch) Discard() {
	if b.unlock == nil {
		return
	}
	b.t.discard()
	b.release()
}

func (b *Batch) release() {
	b.unlock()
	b.unlock = nil
}

// claim refuses a second change of one machine in a batch.
func (b *Batch) claim(name string) error {
	if err := ValidateName("machine", name); err != nil {
		return err
	}
	if b.unlock == nil {
		return errChangeDone
	}
	if b.staged[name] {
		return fmt.Errorf("machine %q is changed twice in one batch", name)
	}
	b.staged[name] = true
	return nil
}

// staging runs stage, and takes back what it added to the transaction if
// it fails, so that the rest of the batch can still commit.
func (b *Batch) staging(name string, stage func() error) error {
	n := len(b.t.ops)
	if err := stage(); err != nil {
		b.t.dropFrom(n)
		delete(b.staged, name)
		return err
	}
	return nil
}

// Remove stages the removal of machine name, as Store.Remove.
func (b *Batch) Remove(name string) error {
	if err := b.claim(name); err != nil {
		return err
	}
	if !b.s.Exists(name) {
		delete(b.staged, name)
		return fmt.Errorf("machine %q: %w", name, ErrNotFound)
	}
	return b.staging(name, func() error {
		if err := b.t.remove(b.s.HostDir(name)); err != nil {
			return err
		}
		return b.t.remove(b.s.ClientDir(name))
	})
}

// SetSpec stages machine name with a new spec and its certificates as they
// are: for a change that needs new user-data but no new certificate (its
// OS, its engine settings). The spec must validate, keep the name and the
// addresses. It returns the machine as it will be.
func (b *Batch) SetSpec(spec generator.Spec) (*Machine, error) {
	name := spec.Name
	if err := b.claim(name); err != nil {
		return nil, err
	}
	var staged *Machine
	err := b.staging(name, func() error {
		m, err := b.s.read(name)
		if err != nil {
			return err
		}
		if err := checkRotatedSpec(RotateRequest{Name: name, Spec: &spec}); err != nil {
			return err
		}
		host, err := b.t.put(b.s.HostDir(name))
		if err != nil {
			return err
		}
		f := b.s.files()
		if err := f.copyDir(m.HostDir, host); err != nil {
			return err
		}
		m.Spec = spec
		if err := f.writeRecord(host, &m.Record); err != nil {
			return err
		}
		staged, err = b.s.readFrom(name, host, m.ClientDir)
		return err
	})
	return staged, err
}

// Rotate stages a rotation, as Store.StageRotate does, and returns the
// machine as it will be with what is replaced.
func (b *Batch) Rotate(req RotateRequest) (*Rotation, error) {
	if err := b.claim(req.Name); err != nil {
		return nil, err
	}
	rot := &Rotation{}
	err := b.staging(req.Name, func() error {
		if err := checkRotatedSpec(req); err != nil {
			return err
		}
		m, err := b.s.read(req.Name)
		if err != nil {
			return err
		}
		host, client, err := b.s.putMachine(b.t, req.Name)
		if err != nil {
			return err
		}
		if err := b.s.stageRotation(m, req, host, client, rot); err != nil {
			return err
		}
		rot.Machine, err = b.s.readFrom(req.Name, host, client)
		return err
	})
	return rot, err
}

// Record reads only machine name's record, under the batch's lock: what a
// plan compares, without the cost of its certificates.
func (b *Batch) Record(name string) (*Record, error) {
	if err := ValidateName("machine", name); err != nil {
		return nil, err
	}
	return b.s.readRecord(name, b.s.HostDir(name))
}

// Record reads only machine name's record, checked as Load checks it.
func (s *Store) Record(name string) (*Record, error) {
	if err := ValidateName("machine", name); err != nil {
		return nil, err
	}
	unlock, err := s.rlock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.readRecord(name, s.HostDir(name))
}
