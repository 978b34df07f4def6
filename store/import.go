package store

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
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
	if err := s.adoptCA(req.CA, req.CAPair); err != nil {
		return nil, err
	}
	stage, err := s.stagingDir("import-" + name)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage)
	if err := s.stageImport(stage, req); err != nil {
		return nil, err
	}
	if err := s.install(stage, name); err != nil {
		return nil, err
	}
	return s.read(name)
}

func (s *Store) stageImport(stage string, req ImportRequest) error {
	host, client := filepath.Join(stage, "host"), filepath.Join(stage, "client")
	for _, d := range []string{host, client} {
		if err := mkdirPrivate(d); err != nil {
			return err
		}
	}
	if err := writePair(host, serverCertFile, serverKeyFile, req.Server); err != nil {
		return err
	}
	if err := writeClient(client, req.CAPair, req.Client); err != nil {
		return err
	}
	rec := s.newRecord(req.Spec, req.ToolVersion, req.CA, req.CAPair, req.Server)
	return writeRecord(host, rec, false)
}

// adoptCA files ca as the shared CA name. An existing CA of that name is
// kept if it is the same certificate.
func (s *Store) adoptCA(name string, ca *pki.Pair) error {
	dir := s.CADir(name)
	if PathExists(dir) {
		data, err := os.ReadFile(filepath.Join(dir, caCertFile))
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
	stage, err := s.stagingDir("ca-" + name)
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	staged := filepath.Join(stage, "ca")
	if err := stageCA(staged, ca); err != nil {
		return err
	}
	return s.placeCA(staged, name)
}

// describe names a certificate in messages by its subject and fingerprint,
// never by its key.
func describe(c *x509.Certificate) string {
	return fmt.Sprintf("%q (SHA-256 %s)", c.Subject.String(), pki.Fingerprint(c))
}
