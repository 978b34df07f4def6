package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/dockbake/dockbake/pki"
)

// TestReadersSeeWholeMachines: while a writer replaces a machine again and
// again (rotations to a new CA and forced creates, each swapping the host
// and the client directory with two renames), readers load it and take
// what its host and its clients need. Every reader gets a whole machine:
// no error, no false fingerprint mismatch, and certificates that chain to
// the CA read with them.
func TestReadersSeeWholeMachines(t *testing.T) {
	s := newStore(t)
	if _, err := s.Create(req("web1")); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var reads atomic.Int64
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := readWhole(s, "web1"); err != nil {
					errs <- err
					return
				}
				reads.Add(1)
			}
		}()
	}
	werr := replaceRepeatedly(s, "web1", 40)
	close(stop)
	wg.Wait()
	close(errs)
	if werr != nil {
		t.Fatal(werr)
	}
	for err := range errs {
		t.Errorf("reader: %v", err)
	}
	if reads.Load() == 0 {
		t.Error("no read completed while the writer ran")
	}
}

// replaceRepeatedly replaces machine name n times, by turns with a
// rotation to a new CA and a forced create.
func replaceRepeatedly(s *Store, name string, n int) error {
	for i := range n {
		var err error
		if i%2 == 0 {
			_, err = s.Rotate(RotateRequest{Name: name, CA: true})
		} else {
			r := req(name)
			r.Force = true
			_, err = s.Create(r)
		}
		if err != nil {
			return fmt.Errorf("writer, round %d: %w", i, err)
		}
	}
	return nil
}

// readWhole loads machine name as the front ends do and checks that its
// parts belong together.
func readWhole(s *Store, name string) error {
	m, err := s.Load(name)
	if err != nil {
		return err
	}
	if _, err := m.Plan(); err != nil {
		return err
	}
	ca, err := m.CACert()
	if err != nil {
		return err
	}
	hc, err := m.HostCerts()
	if err != nil {
		return err
	}
	srv, err := pki.ParseCertificate(hc.ServerCert)
	if err != nil {
		return err
	}
	cli, err := m.ClientCert()
	if err != nil {
		return err
	}
	if srv.CheckSignatureFrom(ca) != nil || cli.CheckSignatureFrom(ca) != nil {
		return errors.New("the certificates read with the machine are not of its CA")
	}
	return nil
}

// TestReadingAStoreThatIsNotThere: a reader of a store that does not exist
// (completion before the first create) finds no machines rather than an
// error about the lock.
func TestReadingAStoreThatIsNotThere(t *testing.T) {
	s := &Store{Root: filepath.Join(t.TempDir(), "none")}
	names, err := s.Names()
	if err != nil || len(names) != 0 {
		t.Errorf("Names = %v, %v; want none and no error", names, err)
	}
	if PathExists(s.Root) {
		t.Error("a reader created the store")
	}
}
