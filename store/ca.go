package store

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dockbake/dockbake/pki"
)

// checkCA parses a copy of the CA certificate of the machine with record
// rec, read from path, and checks it against the fingerprint in rec. Every
// reader of a machine's CA, with its key or without, goes through here, so
// a swapped ca.pem is never trusted.
func checkCA(rec *Record, path string, certPEM []byte) (*x509.Certificate, error) {
	ca, err := pki.ParseCertificate(certPEM)
	if err != nil {
		return nil, &CorruptError{Path: path, Err: err}
	}
	if pki.Fingerprint(ca) != rec.CAFingerprint {
		return nil, &CorruptError{Path: path, Err: errors.New("CA certificate does not match the fingerprint in the machine record")}
	}
	return ca, nil
}

// caPair loads the CA that signs machine m's certificates, key and all,
// from m.CADir: its own, kept in its host directory, or the shared one it
// names. The key never leaves the store.
func caPair(m *Machine) (*pki.Pair, error) {
	dir := m.CADir
	certPEM, err := os.ReadFile(filepath.Join(dir, caCertFile))
	if err != nil {
		return nil, &CorruptError{Path: dir, Err: fmt.Errorf("machine %q: its CA is missing: %w", m.Name, err)}
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, caKeyFile))
	if err != nil {
		return nil, &CorruptError{Path: dir, Err: fmt.Errorf("machine %q: its CA key is missing: %w", m.Name, err)}
	}
	ca, err := pki.LoadPair(certPEM, keyPEM)
	if err != nil {
		return nil, &CorruptError{Path: dir, Err: err}
	}
	if _, err := checkCA(&m.Record, dir, certPEM); err != nil {
		return nil, err
	}
	return ca, nil
}

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
	case PathExists(dir):
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
