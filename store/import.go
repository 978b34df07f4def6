package store

import (
	"crypto/x509"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

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
	// name must not exist with another certificate. Empty: the CA is the
	// machine's own, kept with it.
	CA          string
	CAPair      *pki.Pair
	Server      *pki.Pair
	Client      *pki.Pair
	ToolVersion string
	// Force replaces a machine of the same name.
	Force bool
	// ManagedBy is recorded as the record's ManagedBy.
	ManagedBy string
}

// Import writes an existing machine into the store. The server and client
// certificates must have been issued by CAPair.
func (s *Store) Import(req ImportRequest) (*Machine, error) {
	b, err := s.BeginImport()
	if err != nil {
		return nil, err
	}
	defer b.Discard()
	if err := b.Add(req); err != nil {
		return nil, err
	}
	ms, err := b.Commit()
	if err != nil {
		return nil, err
	}
	return ms[0], nil
}

// ImportBatch imports machines in one transaction: each Add stages one,
// and Commit puts them all in place at once, so that a crash leaves all of
// them or none. It holds the store's lock until Commit or Discard.
type ImportBatch struct {
	s      *Store
	t      *txn
	unlock func()
	names  []string
	// cas are the shared CAs staged in the batch, by name: the index of
	// their entry in the journal and their fingerprint.
	cas map[string]stagedCA
}

type stagedCA struct {
	op          int
	fingerprint string
}

// BeginImport starts an ImportBatch.
func (s *Store) BeginImport() (*ImportBatch, error) {
	unlock, err := s.lock()
	if err != nil {
		return nil, err
	}
	t, err := s.begin("import")
	if err != nil {
		unlock()
		return nil, err
	}
	return &ImportBatch{s: s, t: t, unlock: unlock, cas: map[string]stagedCA{}}, nil
}

// Add stages one machine. An error leaves the batch as it was.
func (b *ImportBatch) Add(req ImportRequest) error {
	if b.unlock == nil {
		return errChangeDone
	}
	if err := checkImport(req); err != nil {
		return err
	}
	name := req.Spec.Name
	if b.s.Exists(name) && !req.Force || slices.Contains(b.names, name) {
		return fmt.Errorf("machine %q: %w", name, ErrExists)
	}
	mark := len(b.t.ops)
	if err := b.stage(req); err != nil {
		b.t.dropFrom(mark)
		for n, ca := range b.cas {
			if ca.op >= mark {
				delete(b.cas, n)
			}
		}
		return err
	}
	b.names = append(b.names, name)
	return nil
}

// Commit makes every machine added and returns them as Load reads them.
func (b *ImportBatch) Commit() ([]*Machine, error) {
	if b.unlock == nil {
		return nil, errChangeDone
	}
	defer b.release()
	if len(b.names) == 0 {
		b.t.discard()
		return nil, nil
	}
	if err := b.t.commit(); err != nil {
		return nil, err
	}
	var ms []*Machine
	for _, n := range b.names {
		m, err := b.s.read(n)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// Discard drops every machine added and releases the lock; after Commit it
// does nothing.
func (b *ImportBatch) Discard() {
	if b.unlock != nil {
		b.t.discard()
		b.release()
	}
}

func (b *ImportBatch) release() {
	b.unlock()
	b.unlock = nil
}

// checkImport checks an import's names, spec and certificates.
func checkImport(req ImportRequest) error {
	name := req.Spec.Name
	if err := ValidateName("machine", name); err != nil {
		return err
	}
	if err := validateCAName(req.CA); err != nil {
		return err
	}
	if err := req.Spec.Validate(); err != nil {
		return fmt.Errorf("machine %q: %w", name, err)
	}
	for _, leaf := range []*pki.Pair{req.Server, req.Client} {
		if err := leaf.Cert.CheckSignatureFrom(req.CAPair.Cert); err != nil {
			return fmt.Errorf("machine %q: certificate %s was not issued by its CA: %w", name, describe(leaf.Cert), err)
		}
	}
	return nil
}

// stage stages the imported machine, and its CA when the store does not
// have it yet.
func (b *ImportBatch) stage(req ImportRequest) error {
	if req.CA != "" {
		if err := b.adoptCA(req.CA, req.CAPair); err != nil {
			return err
		}
	}
	host, client, err := b.s.putMachine(b.t, req.Spec.Name)
	if err != nil {
		return err
	}
	f := b.s.files()
	for _, d := range []string{host, client} {
		if err := f.mkdirPrivate(d); err != nil {
			return err
		}
	}
	if req.CA == "" {
		if err := f.writePair(host, caCertFile, caKeyFile, req.CAPair); err != nil {
			return err
		}
	}
	if err := f.writePair(host, serverCertFile, serverKeyFile, req.Server); err != nil {
		return err
	}
	if err := f.writeClient(client, req.CAPair.CertPEM(), req.Client); err != nil {
		return err
	}
	rec := b.s.newRecord(req.Spec, req.ToolVersion, req.CA, req.CAPair, req.Server)
	rec.ManagedBy = req.ManagedBy
	return f.writeRecord(host, rec)
}

// adoptCA files ca as the shared CA name. An existing CA of that name, in
// the store or staged in the batch, is kept if it is the same
// certificate.
func (b *ImportBatch) adoptCA(name string, ca *pki.Pair) error {
	fp := pki.Fingerprint(ca.Cert)
	if staged, ok := b.cas[name]; ok {
		if staged.fingerprint != fp {
			return fmt.Errorf("CA %q: %w", name, ErrCAMismatch)
		}
		return nil
	}
	dir := b.s.CADir(name)
	f := b.s.files()
	if f.exists(dir) {
		data, err := f.readFile(filepath.Join(dir, caCertFile))
		if err != nil {
			return &CorruptError{Path: dir, Err: err}
		}
		have, err := pki.ParseCertificate(data)
		if err != nil {
			return &CorruptError{Path: dir, Err: err}
		}
		if pki.Fingerprint(have) != fp {
			return fmt.Errorf("CA %q: %w", name, ErrCAMismatch)
		}
		return nil
	}
	staged, err := b.t.put(dir)
	if err != nil {
		return err
	}
	b.cas[name] = stagedCA{op: len(b.t.ops) - 1, fingerprint: fp}
	return f.stageCA(staged, ca)
}

// validateCAName checks a shared CA's name; empty is a CA of the
// machine's own.
func validateCAName(name string) error {
	if name == "" {
		return nil
	}
	return ValidateName("CA", name)
}

// describe names a certificate in messages by its subject and fingerprint,
// never by its key.
func describe(c *x509.Certificate) string {
	return fmt.Sprintf("%q (SHA-256 %s)", c.Subject.String(), pki.Fingerprint(c))
}
