package store

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/dockbake/dockbake/pki"
)

// sharedCA loads the shared CA name. A CA used for the first time is
// created and written into staged, for the caller to place with placeCA
// once the machine that needs it is complete: a failed create leaves no CA
// behind. The caller holds the store lock, so concurrent creates agree on
// one CA.
func (s *Store) sharedCA(name string, o pki.Options, staged string) (*pki.Pair, error) {
	dir := s.CADir(name)
	certPEM, cerr := os.ReadFile(filepath.Join(dir, caCertFile))
	keyPEM, kerr := os.ReadFile(filepath.Join(dir, caKeyFile))
	switch {
	case cerr == nil && kerr == nil:
		ca, err := pki.LoadPair(certPEM, keyPEM)
		if err != nil {
			return nil, &CorruptError{Path: dir, Err: err}
		}
		return ca, nil
	case exists(dir):
		return nil, &CorruptError{Path: dir, Err: fmt.Errorf("CA %q is incomplete: need both %s and %s", name, caCertFile, caKeyFile)}
	}
	ca, err := pki.NewCA("dockbake CA "+name, o)
	if err != nil {
		return nil, err
	}
	return ca, stageCA(staged, ca)
}

// stageCA writes ca's certificate and key into a new private directory.
func stageCA(dir string, ca *pki.Pair) error {
	if err := mkdirPrivate(dir); err != nil {
		return err
	}
	return writePair(dir, caCertFile, caKeyFile, ca)
}

// placeCA moves a CA staged with stageCA into place as the shared CA name.
func (s *Store) placeCA(staged, name string) error {
	dir := s.CADir(name)
	if err := mkdirPrivate(filepath.Dir(dir)); err != nil {
		return err
	}
	if err := os.Rename(staged, dir); err != nil {
		return fmt.Errorf("installing CA %q: %w", name, err)
	}
	return syncDir(filepath.Dir(dir))
}
