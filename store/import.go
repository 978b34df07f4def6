package store

import (
	"crypto/x509"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/pki"
)

// ErrCAMismatch is returned when a shared CA of the requested name exists
// with another certificate.
var ErrCAMismatch = errors.New("already holds a different CA")

// ImportRequest brings an existing machine, certificates and all, into the
// store: a host that already runs them keeps working.
type ImportRequest struct {
	// Spec is the machine: its Name names it in the store. It must
	// validate.
	Spec generator.Spec
	// CA is the name of the shared CA to keep the CA under; a CA of that
	// name must not exist with another certificate.
	CA          string
	CAPair      *pki.Pair
	Server      *pki.Pair
	Client      *pki.Pair
	ToolVersion string
	// Force replaces a machine of the same name.
	Force bool
}

// Import writes an existing machine into the store. The server and client
// certificates must have been issued by CAPair.
func (s *Store) Import(req ImportRequest) (*Machine, error) {
	name := req.Spec.Name
	if err := ValidateName("machine", name); err != nil {
		return nil, err
	}
	if err := ValidateName("CA", req.CA); err != nil {
		return nil, err
	}
	if err := req.Spec.Validate(); err != nil {
		return nil, fmt.Errorf("machine %q: %w", name, err)
	}
	for _, leaf := range []*pki.Pair{req.Server, req.Client} {
		if err := leaf.Cert.CheckSignatureFrom(req.CAPair.Cert); err != nil {
			return nil, fmt.Errorf("machine %q: certificate %s was not issued by its CA: %w", name, describe(leaf.Cert), err)
		}
	}
	unlock, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if s.Exists(name) && !req.Force {
		return nil, fmt.Errorf("machine %q: %w", name, ErrExists)
	}
	t, host, client, err := s.beginMachine("import", name)
	if err == nil {
		err = s.stageImport(t, host, client, req)
	}
	if err != nil {
		if t != nil {
			t.discard()
		}
		return nil, err
	}
	if err := t.commit(); err != nil {
		return nil, err
	}
	return s.read(name)
}

// stageImport stages the imported machine in host and client, and its CA
// in t when the store does not have it yet.
func (s *Store) stageImport(t *txn, host, client string, req ImportRequest) error {
	if err := s.adoptCA(t, req.CA, req.CAPair); err != nil {
		return err
	}
	f := s.files()
	for _, d := range []string{host, client} {
		if err := f.mkdirPrivate(d); err != nil {
			return err
		}
	}
	if err := f.writePair(host, serverCertFile, serverKeyFile, req.Server); err != nil {
		return err
	}
	if err := f.writeClient(client, req.CAPair, req.Client); err != nil {
		return err
	}
	rec := s.newRecord(req.Spec, req.ToolVersion, req.CA, req.CAPair, req.Server)
	return f.writeRecord(host, rec)
}

// adoptCA files ca as the shared CA name, staged in t. An existing CA of
// that name is kept if it is the same certificate.
func (s *Store) adoptCA(t *txn, name string, ca *pki.Pair) error {
	dir := s.CADir(name)
	f := s.files()
	if f.exists(dir) {
		data, err := f.readFile(filepath.Join(dir, caCertFile))
		if err != nil {
			return &CorruptError{Path: dir, Err: err}
		}
		have, err := pki.ParseCertificate(data)
		if err != nil {
			return &CorruptError{Path: dir, Err: err}
		}
		if pki.Fingerprint(have) != pki.Fingerprint(ca.Cert) {
			return fmt.Errorf("CA %q: %w", name, ErrCAMismatch)
		}
		return nil
	}
	staged, err := t.put(dir)
	if err != nil {
		return err
	}
	return f.stageCA(staged, ca)
}

// describe names a certificate in messages by its subject and fingerprint,
// never by its key.
func describe(c *x509.Certificate) string {
	return fmt.Sprintf("%q (SHA-256 %s)", c.Subject.String(), pki.Fingerprint(c))
}
