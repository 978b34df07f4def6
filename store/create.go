package store

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/pki"
)

// CreateRequest says what machine to create.
type CreateRequest struct {
	// Spec is the machine: its Name names it in the store and its
	// addresses go into the server certificate. It must validate.
	Spec generator.Spec
	// CA is the shared CA to use, created on first use; empty: a CA of the
	// machine's own.
	CA           string
	KeyType      pki.KeyType
	CertValidity time.Duration
	CAValidity   time.Duration
	ToolVersion  string
	// Force replaces an existing machine of the same name.
	Force bool
}

// Create issues a machine's certificates, writes it into the store and
// returns it as Load would.
func (s *Store) Create(req CreateRequest) (*Machine, error) {
	name := req.Spec.Name
	if err := ValidateName("machine", name); err != nil {
		return nil, err
	}
	if req.CA != "" {
		if err := ValidateName("CA", req.CA); err != nil {
			return nil, err
		}
	}
	if err := req.Spec.Validate(); err != nil {
		return nil, fmt.Errorf("machine %q: %w", name, err)
	}
	unlock, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if s.Exists(name) && !req.Force {
		return nil, fmt.Errorf("machine %q: %w", name, ErrExists)
	}
	stage, err := s.stagingDir("create-" + name)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage)
	if err := s.stageMachine(stage, req); err != nil {
		return nil, err
	}
	if staged := filepath.Join(stage, "ca"); PathExists(staged) {
		if err := s.placeCA(staged, req.CA); err != nil {
			return nil, err
		}
	}
	if err := s.install(stage, name); err != nil {
		return nil, err
	}
	return s.read(name)
}

// stageMachine writes a complete machine into stage/host and stage/client.
func (s *Store) stageMachine(stage string, req CreateRequest) error {
	leaf := pki.Options{KeyType: req.KeyType, Now: s.now, Validity: req.CertValidity}
	host, client := filepath.Join(stage, "host"), filepath.Join(stage, "client")
	for _, d := range []string{host, client} {
		if err := mkdirPrivate(d); err != nil {
			return err
		}
	}
	ca, err := s.machineCA(req, stage)
	if err != nil {
		return err
	}
	name := req.Spec.Name
	srv, err := ca.IssueServer(name, req.Spec.SANs(), leaf)
	if err != nil {
		return err
	}
	cli, err := ca.IssueClient(name+" client", leaf)
	if err != nil {
		return err
	}
	if err := writePair(host, serverCertFile, serverKeyFile, srv); err != nil {
		return err
	}
	if err := writeClient(client, ca, cli); err != nil {
		return err
	}
	rec := s.newRecord(req.Spec, req.ToolVersion, req.CA, ca, srv)
	return writeRecord(host, rec, false)
}

// newRecord is the record of a machine with CA ca and server key pair srv.
func (s *Store) newRecord(spec generator.Spec, toolVersion, sharedCA string, ca, srv *pki.Pair) *Record {
	return &Record{
		Version: RecordVersion, Name: spec.Name, CreatedAt: s.now().UTC().Truncate(time.Second),
		ToolVersion: toolVersion, CA: sharedCA, CAFingerprint: pki.Fingerprint(ca.Cert),
		KeyType: pki.TypeOf(srv.Cert.PublicKey), Spec: spec,
	}
}

// machineCA returns the shared CA named in req (staged as stage/ca when it
// is new), or a new CA of the machine's own written into stage/host.
func (s *Store) machineCA(req CreateRequest, stage string) (*pki.Pair, error) {
	o := pki.Options{KeyType: req.KeyType, Now: s.now, Validity: req.CAValidity}
	if req.CA != "" {
		return s.sharedCA(req.CA, o, filepath.Join(stage, "ca"))
	}
	ca, err := pki.NewCA("dockbake CA for "+req.Spec.Name, o)
	if err != nil {
		return nil, err
	}
	return ca, writePair(filepath.Join(stage, "host"), caCertFile, caKeyFile, ca)
}

// writeClient writes a DOCKER_CERT_PATH directory's files into dir: the
// client key pair and the certificate (never the key) of ca.
func writeClient(dir string, ca, client *pki.Pair) error {
	if err := writePair(dir, ClientCertFile, ClientKeyFile, client); err != nil {
		return err
	}
	return writeNew(filepath.Join(dir, ClientCAFile), ca.CertPEM(), certMode)
}

func writePair(dir, certName, keyName string, p *pki.Pair) error {
	key, err := p.KeyPEM()
	if err != nil {
		return err
	}
	if err := writeNew(filepath.Join(dir, keyName), key, keyMode); err != nil {
		return err
	}
	return writeNew(filepath.Join(dir, certName), p.CertPEM(), certMode)
}

// writeRecord writes machine.json into dir, replacing an existing one when
// replace is set.
func writeRecord(dir string, rec *Record, replace bool) error {
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dir, recordFile)
	if replace {
		return replaceFile(path, append(data, '\n'), keyMode)
	}
	return writeNew(path, append(data, '\n'), keyMode)
}

// install moves a staged machine into place, replacing an existing one. If
// the second rename fails the first is undone, so a machine is never half
// there. The caller holds the exclusive lock, so no reader sees the moment
// between the renames.
func (s *Store) install(stage, name string) error {
	for _, d := range []string{filepath.Join(s.Root, "hosts"), filepath.Join(s.Root, "machines")} {
		if err := mkdirPrivate(d); err != nil {
			return err
		}
	}
	old := filepath.Join(stage, "old")
	if err := mkdirPrivate(old); err != nil {
		return err
	}
	moves := []struct{ from, to string }{
		{filepath.Join(stage, "host"), s.HostDir(name)},
		{filepath.Join(stage, "client"), s.ClientDir(name)},
	}
	for i, m := range moves {
		backup := filepath.Join(old, fmt.Sprint(i))
		if PathExists(m.to) {
			if err := os.Rename(m.to, backup); err != nil {
				s.rollback(moves[:i], old)
				return fmt.Errorf("replacing %s: %w", m.to, err)
			}
		}
		if err := os.Rename(m.from, m.to); err != nil {
			os.Rename(backup, m.to)
			s.rollback(moves[:i], old)
			return fmt.Errorf("installing %s: %w", m.to, err)
		}
	}
	if err := syncDir(filepath.Dir(s.HostDir(name))); err != nil {
		return err
	}
	return syncDir(filepath.Dir(s.ClientDir(name)))
}

// rollback undoes completed moves, restoring any backups.
func (s *Store) rollback(done []struct{ from, to string }, old string) {
	for i := len(done) - 1; i >= 0; i-- {
		os.Rename(done[i].to, done[i].from)
		backup := filepath.Join(old, fmt.Sprint(i))
		if PathExists(backup) {
			os.Rename(backup, done[i].to)
		}
	}
}
