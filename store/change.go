package store

import (
	"errors"
	"path/filepath"
)

// Change is a change of the store staged in full and not yet made: a front
// end renders and checks what it needs from Machine (the user-data, its
// size, the output file) and commits last, so that a command that fails
// changes nothing. A Change holds the store's lock from the moment it is
// staged until Commit or Discard; call one of them, and soon, and do not
// Load from the same store meanwhile: that waits for the lock.
type Change struct {
	// Machine is the machine as Load will read it once the change is
	// committed. Its certificates are read from where they are staged;
	// its directories are those it will have.
	Machine *Machine
	// Rotation says what a rotation replaces; nil for a create. Its
	// Machine is set by Commit.
	Rotation *Rotation

	s      *Store
	t      *txn
	host   string // the staged host directory
	unlock func()
}

// errChangeDone is returned by Commit on a change already committed or
// discarded.
var errChangeDone = errors.New("the change was already committed or discarded")

// newChange reads the machine staged in host and client of transaction t
// and wraps it as a Change holding the lock that unlock releases. On an
// error t is discarded and the lock released.
func (s *Store) newChange(t *txn, unlock func(), name, host, client string) (*Change, error) {
	m, err := s.readFrom(name, host, client)
	if err != nil {
		t.discard()
		unlock()
		return nil, err
	}
	return &Change{Machine: m, s: s, t: t, host: host, unlock: unlock}, nil
}

// Commit makes the change and returns the machine read back from the
// store. An error leaves the store as it was, unless it is an
// *UnfinishedError: then the next command completes the change.
func (c *Change) Commit() (*Machine, error) {
	if c.unlock == nil {
		return nil, errChangeDone
	}
	defer c.release()
	if err := c.dropThrowaway(); err != nil {
		return nil, err
	}
	if err := c.t.commit(); err != nil {
		return nil, err
	}
	m, err := c.s.read(c.Machine.Name)
	if err != nil {
		return nil, err
	}
	if c.Rotation != nil {
		c.Rotation.Machine = m
	}
	return m, nil
}

// dropThrowaway removes an attach-only machine's staged server key
// before the commit: the front end has rendered the user-data from the
// staged machine, which read it, and the store never keeps it.
func (c *Change) dropThrowaway() error {
	if !c.Machine.ThrowawayServerKey {
		return nil
	}
	f := c.s.files()
	if err := f.removeAll(filepath.Join(c.host, serverKeyFile)); err != nil {
		return err
	}
	return f.disk.SyncDir(c.host)
}

// Discard drops a change that was not committed, keys and all, and
// releases the lock. It may be called after Commit, to no effect.
func (c *Change) Discard() {
	if c.unlock == nil {
		return
	}
	c.t.discard()
	c.release()
}

func (c *Change) release() {
	c.unlock()
	c.unlock = nil
}
