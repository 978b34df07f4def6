package store

// The store's lock is the file .lock in its root. A writer (create, import,
// rotate, client add, rm) holds it exclusively from before it reads what it
// changes until its last rename; a reader (Load, Names, Clients) holds it
// shared while it reads. So readers run side by side, and none of them ever
// sees a machine between the two renames that replace it.

// lockFileName is the name of the lock file in the store's root.
const lockFileName = ".lock"

// lock takes the store's lock for a writer; the returned function releases
// it. Concurrent creates in one store therefore share one CA and never tear
// files.
func (s *Store) lock() (func(), error) { return s.takeLock(true) }

// rlock takes the store's lock for a reader; the returned function releases
// it.
func (s *Store) rlock() (func(), error) { return s.takeLock(false) }

// lockMachine takes the writer's lock and reads machine name under it, for
// a writer that changes the machine: what it reads cannot change before it
// is done. The returned function releases the lock.
func (s *Store) lockMachine(name string) (*Machine, func(), error) {
	unlock, err := s.lock()
	if err != nil {
		return nil, nil, err
	}
	m, err := s.read(name)
	if err != nil {
		unlock()
		return nil, nil, err
	}
	return m, unlock, nil
}
