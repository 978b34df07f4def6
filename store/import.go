package store

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/dockbake/dockbake/pki"
)

// ErrCAMismatch is returned when a shared CA of the requested name exists
// with another certificate.
var ErrCAMismatch = errors.New("already holds a different CA")

// ImportRequest brings an existing machine, certificates and all, into the
// store: a host that already runs them keeps working.
type ImportRequest struct {
	Name string
	// CA is the name of the shared CA to keep the CA under; a CA of that
	// name must not exist with another certificate.
	CA     string
	CAPair *pki.Pair
	Server *pki.Pair
	Client *pki.Pair
	// Spec is stored as JSON in the record.
	Spec        any
	ToolVersion string
	// Force replaces a machine of the same name.
	Force bool
}

// Import writes an existing machine into the store. The server and client
// certificates must have been issued by CAPair.
func (s *Store) Import(req ImportRequest) (*Machine, error) {
	if err := ValidateName("machine", req.Name); err != nil {
		return nil, err
	}
	if err := ValidateName("CA", req.CA); err != nil {
		return nil, err
	}
	for _, leaf := range []*pki.Pair{req.Server, req.Client} {
		if err := leaf.Cert.CheckSignatureFrom(req.CAPair.Cert); err != nil {
			return nil, fmt.Errorf("machine %q: certificate %s was not issued by its CA: %w", req.Name, describe(leaf.Cert), err)
		}
	}
	unlock, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if s.Exists(req.Name) && !req.Force {
		return nil, fmt.Errorf("machine %q: %w", req.Name, ErrExists)
	}
	if err := s.adoptCA(req.CA, req.CAPair); err != nil {
		return nil, err
	}
	stage, err := s.stagingDir("import-" + req.Name)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage)
	rec, err := s.stageImport(stage, req)
	if err != nil {
		return nil, err
	}
	if err := s.install(stage, req.Name); err != nil {
		return nil, err
	}
	return &Machine{Record: *rec, ClientDir: s.ClientDir(req.Name)}, nil
}

func (s *Store) stageImport(stage string, req ImportRequest) (*Record, error) {
	host, client := filepath.Join(stage, "host"), filepath.Join(stage, "client")
	for _, d := range []string{host, client} {
		if err := mkdirPrivate(d); err != nil {
			return nil, err
		}
	}
	if err := writePair(host, serverCertFile, serverKeyFile, req.Server); err != nil {
		return nil, err
	}
	if err := writePair(client, clientCertFile, clientKeyFile, req.Client); err != nil {
		return nil, err
	}
	if err := writeNew(filepath.Join(client, caCertFile), req.CAPair.CertPEM(), certMode); err != nil {
		return nil, err
	}
	spec, err := encodeSpec(req.Spec)
	if err != nil {
		return nil, err
	}
	rec := &Record{
		Version: RecordVersion, Name: req.Name, CreatedAt: s.now().UTC().Truncate(time.Second),
		ToolVersion: req.ToolVersion, CA: req.CA, CAFingerprint: pki.Fingerprint(req.CAPair.Cert),
		KeyType: pki.TypeOf(req.Server.Cert.PublicKey), Spec: spec,
	}
	return rec, writeRecord(host, rec, false)
}

// adoptCA files ca as the shared CA name. An existing CA of that name is
// kept if it is the same certificate.
func (s *Store) adoptCA(name string, ca *pki.Pair) error {
	dir := s.CADir(name)
	if exists(dir) {
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

func encodeSpec(spec any) (json.RawMessage, error) {
	data, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("encoding machine spec: %w", err)
	}
	return data, nil
}
