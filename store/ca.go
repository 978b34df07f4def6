package store

import (
	"crypto/x509"
	"errors"
	"fmt"
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
func (s *Store) caPair(m *Machine) (*pki.Pair, error) {
	dir := m.CADir
	f := s.files()
	certPEM, err := f.readFile(filepath.Join(dir, caCertFile))
	if err != nil {
		return nil, &CorruptError{Path: dir, Err: fmt.Errorf("machine %q: its CA is missing: %w", m.Name, err)}
	}
	keyPEM, err := f.readFile(filepath.Join(dir, caKeyFile))
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

// CAPair loads the CA that signs machine m's certificates, key and all.
// It is for a front end whose own record of the machine must hold the CA
// key (the Terraform state, which can re-create the machine in a store);
// everything else leaves the key in the store.
func (s *Store) CAPair(m *Machine) (*pki.Pair, error) { return s.caPair(m) }

// sharedCA loads the shared CA name. A CA used for the first time is
// created and staged in t, to be put in place with the machine that needs
// it: a failed create leaves no CA behind. The caller holds the store
// lock, so concurrent creates agree on one CA.
func (s *Store) sharedCA(t *txn, name string, o pki.Options) (*pki.Pair, error) {
	dir := s.CADir(name)
	f := s.files()
	certPEM, cerr := f.readFile(filepath.Join(dir, caCertFile))
	keyPEM, kerr := f.readFile(filepath.Join(dir, caKeyFile))
	switch {
	case cerr == nil && kerr == nil:
		ca, err := pki.LoadPair(certPEM, keyPEM)
		if err != nil {
			return nil, &CorruptError{Path: dir, Err: err}
		}
		return ca, nil
	case f.exists(dir):
		return nil, &CorruptError{Path: dir, Err: fmt.Errorf("CA %q is incomplete or unreadable: need both %s and %s (%w)", name, caCertFile, caKeyFile, errors.Join(cerr, kerr))}
	}
	ca, err := pki.NewCA("dockbake CA "+name, o)
	if err != nil {
		return nil, err
	}
	staged, err := t.put(dir)
	if err != nil {
		return nil, err
	}
	return ca, s.files().stageCA(staged, ca)
}

// stageCA writes ca's certificate and key into a new private directory.
func (f files) stageCA(dir string, ca *pki.Pair) error {
	if err := f.mkdirPrivate(dir); err != nil {
		return err
	}
	return f.writePair(dir, caCertFile, caKeyFile, ca)
}
