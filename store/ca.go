package store

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/dockbake/dockbake/pki"
)

// sharedCA loads the shared CA name, creating it on first use. The caller
// holds the store lock, so concurrent creates agree on one CA.
func (s *Store) sharedCA(name string, o pki.Options) (*pki.Pair, error) {
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
	stage, err := s.stagingDir("ca-" + name)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage)
	staged := filepath.Join(stage, "ca")
	if err := mkdirPrivate(staged); err != nil {
		return nil, err
	}
	if err := writePair(staged, caCertFile, caKeyFile, ca); err != nil {
		return nil, err
	}
	if err := mkdirPrivate(filepath.Dir(dir)); err != nil {
		return nil, err
	}
	if err := os.Rename(staged, dir); err != nil {
		return nil, fmt.Errorf("installing CA %q: %w", name, err)
	}
	return ca, syncDir(filepath.Dir(dir))
}
