package store

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
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

// checkTrust parses the CA bundle that the clients and the host of the
// machine with record rec trust, read from path: the machine's CA and,
// during a two-step rotation, the next one, in that order and nothing
// else, each checked against rec.
func checkTrust(rec *Record, path string, bundle []byte) ([]*x509.Certificate, error) {
	want := []string{rec.CAFingerprint}
	if rec.NextCAFingerprint != "" {
		want = append(want, rec.NextCAFingerprint)
	}
	var cas []*x509.Certificate
	rest := bundle
	for len(bytes.TrimSpace(rest)) > 0 {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			return nil, &CorruptError{Path: path, Err: errors.New("not a PEM certificate bundle")}
		}
		c, err := pki.ParseCertificate(pem.EncodeToMemory(block))
		if err != nil {
			return nil, &CorruptError{Path: path, Err: err}
		}
		cas = append(cas, c)
	}
	if len(cas) != len(want) {
		return nil, &CorruptError{Path: path, Err: fmt.Errorf("holds %d CA certificates, the machine record %d", len(cas), len(want))}
	}
	for i, c := range cas {
		if pki.Fingerprint(c) != want[i] {
			return nil, &CorruptError{Path: path, Err: errors.New("CA certificate does not match the fingerprint in the machine record")}
		}
	}
	return cas, nil
}

// nextCAPair loads the CA that takes over in a two-step rotation of
// machine m, from its host directory dir (or where it is staged).
func (s *Store) nextCAPair(m *Machine, dir string) (*pki.Pair, error) {
	f := s.files()
	certPEM, err := f.readFile(filepath.Join(dir, nextCACertFile))
	if err != nil {
		return nil, &CorruptError{Path: dir, Err: fmt.Errorf("machine %q: its next CA is missing: %w", m.Name, err)}
	}
	keyPEM, err := f.readFile(filepath.Join(dir, nextCAKeyFile))
	if err != nil {
		return nil, &CorruptError{Path: dir, Err: fmt.Errorf("machine %q: its next CA key is missing: %w", m.Name, err)}
	}
	ca, err := pki.LoadPair(certPEM, keyPEM)
	if err != nil {
		return nil, &CorruptError{Path: dir, Err: err}
	}
	if pki.Fingerprint(ca.Cert) != m.NextCAFingerprint {
		return nil, &CorruptError{Path: dir, Err: errors.New("next CA certificate does not match the fingerprint in the machine record")}
	}
	return ca, nil
}

// clientCA is the CA that issues machine m's client certificates: its CA,
// or during a two-step rotation the one that takes over, so that a client
// certificate issued meanwhile keeps working after the finish.
func (s *Store) clientCA(m *Machine) (*pki.Pair, error) {
	if m.Rotating() {
		return s.nextCAPair(m, m.HostDir)
	}
	return s.caPair(m)
}

// trustPEM is the CA bundle of machine m for clients and the host, as it
// is in the store, checked against the record.
func (m *Machine) trustPEM() ([]byte, error) {
	r, err := m.file(func(f *snapshot) fileRead { return f.caCert })
	if err != nil {
		return nil, err
	}
	_, err = checkTrust(&m.Record, r.path, r.data)
	return r.data, err
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
