package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/dockbake/dockbake/pki"
)

// RecordVersion is the format version of machine.json.
const RecordVersion = 1

// File names inside the store.
const (
	recordFile     = "machine.json"
	caCertFile     = "ca.pem"
	caKeyFile      = "ca-key.pem"
	serverCertFile = "server.pem"
	serverKeyFile  = "server-key.pem"
	clientCertFile = "cert.pem"
	clientKeyFile  = "key.pem"
)

// Record is a machine's machine.json.
type Record struct {
	Version       int             `json:"version"`
	Name          string          `json:"name"`
	CreatedAt     time.Time       `json:"created_at"`
	ToolVersion   string          `json:"tool_version"`
	CA            string          `json:"ca,omitempty"` // shared CA name; empty: the machine's own
	CAFingerprint string          `json:"ca_fingerprint"`
	KeyType       pki.KeyType     `json:"key_type"`
	Spec          json.RawMessage `json:"spec"` // the validated machine spec, opaque here
}

// CreateRequest says what machine to create.
type CreateRequest struct {
	Name         string
	SANs         pki.SANs
	CA           string // shared CA name, created on first use; empty: a CA of its own
	KeyType      pki.KeyType
	CertValidity time.Duration
	CAValidity   time.Duration
	Spec         any // stored as JSON in the record
	ToolVersion  string
	Force        bool // replace an existing machine of the same name
}

// Machine is a machine loaded from the store.
type Machine struct {
	Record
	// ClientDir is the DOCKER_CERT_PATH directory.
	ClientDir string
	// Warnings are problems that do not stop use, such as a key file that
	// others can read.
	Warnings []string
}

// HostFiles are the PEM files that go onto the Docker host.
type HostFiles struct {
	CACert     []byte
	ServerCert []byte
	ServerKey  []byte
}

// Create issues a machine's certificates and writes it into the store.
func (s *Store) Create(req CreateRequest) (*Machine, error) {
	if err := ValidateName("machine", req.Name); err != nil {
		return nil, err
	}
	if req.CA != "" {
		if err := ValidateName("CA", req.CA); err != nil {
			return nil, err
		}
	}
	spec, err := json.Marshal(req.Spec)
	if err != nil {
		return nil, fmt.Errorf("encoding machine spec: %w", err)
	}
	unlock, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if s.Exists(req.Name) && !req.Force {
		return nil, fmt.Errorf("machine %q: %w", req.Name, ErrExists)
	}
	stage, err := s.stagingDir("create-" + req.Name)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage)
	rec, err := s.stageMachine(stage, req, spec)
	if err != nil {
		return nil, err
	}
	if staged := filepath.Join(stage, "ca"); exists(staged) {
		if err := s.placeCA(staged, req.CA); err != nil {
			return nil, err
		}
	}
	if err := s.install(stage, req.Name); err != nil {
		return nil, err
	}
	return &Machine{Record: *rec, ClientDir: s.ClientDir(req.Name)}, nil
}

// stageMachine writes a complete machine into stage/host and stage/client.
func (s *Store) stageMachine(stage string, req CreateRequest, spec []byte) (*Record, error) {
	leaf := pki.Options{KeyType: req.KeyType, Now: s.now, Validity: req.CertValidity}
	host, client := filepath.Join(stage, "host"), filepath.Join(stage, "client")
	for _, d := range []string{host, client} {
		if err := mkdirPrivate(d); err != nil {
			return nil, err
		}
	}
	ca, err := s.machineCA(req, stage)
	if err != nil {
		return nil, err
	}
	srv, err := ca.IssueServer(req.Name, req.SANs, leaf)
	if err != nil {
		return nil, err
	}
	cli, err := ca.IssueClient(req.Name+" client", leaf)
	if err != nil {
		return nil, err
	}
	if err := writePair(host, serverCertFile, serverKeyFile, srv); err != nil {
		return nil, err
	}
	if err := writePair(client, clientCertFile, clientKeyFile, cli); err != nil {
		return nil, err
	}
	if err := writeNew(filepath.Join(client, caCertFile), ca.CertPEM(), certMode); err != nil {
		return nil, err
	}
	rec := &Record{
		Version: RecordVersion, Name: req.Name, CreatedAt: s.now().UTC().Truncate(time.Second),
		ToolVersion: req.ToolVersion, CA: req.CA, CAFingerprint: pki.Fingerprint(ca.Cert),
		KeyType: pki.TypeOf(srv.Cert.PublicKey), Spec: spec,
	}
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return nil, err
	}
	return rec, writeNew(filepath.Join(host, recordFile), append(data, '\n'), keyMode)
}

// machineCA returns the shared CA named in req (staged as stage/ca when it
// is new), or a new CA of the machine's own written into stage/host.
func (s *Store) machineCA(req CreateRequest, stage string) (*pki.Pair, error) {
	o := pki.Options{KeyType: req.KeyType, Now: s.now, Validity: req.CAValidity}
	if req.CA != "" {
		return s.sharedCA(req.CA, o, filepath.Join(stage, "ca"))
	}
	ca, err := pki.NewCA("dockbake CA for "+req.Name, o)
	if err != nil {
		return nil, err
	}
	return ca, writePair(filepath.Join(stage, "host"), caCertFile, caKeyFile, ca)
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

// install moves a staged machine into place, replacing an existing one. If
// the second rename fails the first is undone, so a machine is never half
// there.
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
		if exists(m.to) {
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
		if exists(backup) {
			os.Rename(backup, done[i].to)
		}
	}
}

// Load reads a machine's record and checks its client directory.
func (s *Store) Load(name string) (*Machine, error) {
	if err := ValidateName("machine", name); err != nil {
		return nil, err
	}
	path := filepath.Join(s.HostDir(name), recordFile)
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, fmt.Errorf("machine %q: %w in store %s", name, ErrNotFound, s.Root)
	}
	if err != nil {
		return nil, err
	}
	var rec Record
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rec); err != nil {
		return nil, &CorruptError{Path: path, Err: err}
	}
	if rec.Version != RecordVersion || rec.Name != name || len(rec.Spec) == 0 {
		return nil, &CorruptError{Path: path, Err: fmt.Errorf("unexpected version %d, name %q or missing spec", rec.Version, rec.Name)}
	}
	m := &Machine{Record: rec, ClientDir: s.ClientDir(name)}
	m.Warnings = checkModes(m.ClientDir, clientKeyFile)
	m.Warnings = append(m.Warnings, checkModes(s.HostDir(name), serverKeyFile, caKeyFile)...)
	if rec.CA != "" {
		m.Warnings = append(m.Warnings, checkModes(s.CADir(rec.CA), caKeyFile)...)
	}
	return m, nil
}

// CorruptError reports a store file that cannot be read back.
type CorruptError struct {
	Path string
	Err  error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("store file %s is damaged: %v", e.Path, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// checkModes warns about key files that group or others can read.
func checkModes(dir string, keys ...string) []string {
	var warnings []string
	for _, k := range keys {
		fi, err := os.Stat(filepath.Join(dir, k))
		if err == nil && fi.Mode().Perm()&0o077 != 0 {
			warnings = append(warnings, fmt.Sprintf("%s is readable by others (mode %04o): run chmod 600 on it", filepath.Join(dir, k), fi.Mode().Perm()))
		}
	}
	return warnings
}

// HostFiles reads the files that go onto machine name's host: its CA
// certificate and its server key pair. The CA key is never among them.
func (s *Store) HostFiles(m *Machine) (*HostFiles, error) {
	var hf HostFiles
	for _, f := range []struct {
		dest *[]byte
		path string
	}{
		{&hf.CACert, filepath.Join(m.ClientDir, caCertFile)},
		{&hf.ServerCert, filepath.Join(s.HostDir(m.Name), serverCertFile)},
		{&hf.ServerKey, filepath.Join(s.HostDir(m.Name), serverKeyFile)},
	} {
		b, err := os.ReadFile(f.path)
		if err != nil {
			return nil, fmt.Errorf("machine %q: %w", m.Name, err)
		}
		*f.dest = b
	}
	if _, err := pki.LoadPair(hf.ServerCert, hf.ServerKey); err != nil {
		return nil, &CorruptError{Path: s.HostDir(m.Name), Err: err}
	}
	ca, err := pki.ParseCertificate(hf.CACert)
	if err != nil {
		return nil, &CorruptError{Path: filepath.Join(m.ClientDir, caCertFile), Err: err}
	}
	if got := pki.Fingerprint(ca); got != m.CAFingerprint {
		return nil, &CorruptError{Path: filepath.Join(m.ClientDir, caCertFile), Err: errors.New("CA certificate does not match the fingerprint in the machine record")}
	}
	return &hf, nil
}

// ClientCert reads the machine's client certificate.
func (s *Store) ClientCert(m *Machine) ([]byte, error) {
	return os.ReadFile(filepath.Join(m.ClientDir, clientCertFile))
}

// ServerCert reads the machine's server certificate.
func (s *Store) ServerCert(m *Machine) ([]byte, error) {
	return os.ReadFile(filepath.Join(s.HostDir(m.Name), serverCertFile))
}
