package store

import (
	"encoding/json"
	"fmt"
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
	// AttachOnly makes the server key a throwaway: it goes into the
	// user-data rendered from the Change and is never kept in the store;
	// the server certificate lives ThrowawayValidity; attach replaces
	// both. The machine must have no address.
	AttachOnly bool
	// ManagedBy is recorded as the record's ManagedBy.
	ManagedBy string
	// Fleet is the fleet the machine belongs to; empty: none.
	Fleet string
}

// ThrowawayValidity is the lifetime of an attach-only machine's first
// server certificate. attach pins the certificate's bytes, not its
// validity, so a host that boots later is still attached; meanwhile
// the key, which the metadata service hands to anything on the host that
// asks, is good for little and for a day.
const ThrowawayValidity = 24 * time.Hour

// Create issues a machine's certificates, writes it into the store and
// returns it as Load would.
func (s *Store) Create(req CreateRequest) (*Machine, error) {
	c, err := s.StageCreate(req)
	if err != nil {
		return nil, err
	}
	return c.Commit()
}

// StageCreate issues a machine's certificates and stages it, with a new
// shared CA it needs, without making it: the returned Change's Machine is
// the machine to be, and Commit makes it. A machine of the same name is
// refused without Force.
func (s *Store) StageCreate(req CreateRequest) (*Change, error) {
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
	if req.AttachOnly && req.Spec.Attached() {
		return nil, &generator.FieldError{Field: generator.FieldIP, Value: req.Spec.Address(), Msg: "an attach-only machine gets its address at attach", Hint: "drop the addresses"}
	}
	unlock, err := s.lock()
	if err != nil {
		return nil, err
	}
	if s.Exists(name) && !req.Force {
		unlock()
		return nil, fmt.Errorf("machine %q: %w", name, ErrExists)
	}
	return s.stageChange("create", name, unlock, func(t *txn, host, client string) error {
		return s.stageMachine(t, host, client, req)
	})
}

// stageChange is the first half of every change of one machine, made
// under the lock that unlock releases: a transaction (named label-name)
// that puts the machine's host and client directories, which stage
// fills. It returns the change, staged and read back, to commit. On any
// error the transaction is discarded and the lock released: nothing
// changed.
func (s *Store) stageChange(label, name string, unlock func(), stage func(t *txn, host, client string) error) (*Change, error) {
	t, err := s.begin(label + "-" + name)
	var host, client string
	if err == nil {
		host, client, err = s.putMachine(t, name)
	}
	if err == nil {
		err = stage(t, host, client)
	}
	if err != nil {
		if t != nil {
			t.discard()
		}
		unlock()
		return nil, err
	}
	return s.newChange(t, unlock, name, host, client)
}

// putMachine adds machine name's host and client directories to t, and
// returns where to stage them.
func (s *Store) putMachine(t *txn, name string) (host, client string, err error) {
	if host, err = t.put(s.HostDir(name)); err != nil {
		return "", "", err
	}
	client, err = t.put(s.ClientDir(name))
	return host, client, err
}

// putNewMachine is putMachine of a machine that the caller, holding the
// lock, has found absent: neither directory is looked at again.
func (s *Store) putNewMachine(t *txn, name string) (host, client string, err error) {
	if host, err = t.putAbsent(s.HostDir(name)); err != nil {
		return "", "", err
	}
	client, err = t.putAbsent(s.ClientDir(name))
	return host, client, err
}

// stageMachine writes a complete machine into host and client, and a new
// shared CA into t.
func (s *Store) stageMachine(t *txn, host, client string, req CreateRequest) error {
	f := s.files()
	leaf := pki.Options{KeyType: req.KeyType, Now: s.now, Validity: req.CertValidity}
	for _, d := range []string{host, client} {
		if err := f.mkdirStaged(d); err != nil {
			return err
		}
	}
	ca, err := s.machineCA(t, req, host)
	if err != nil {
		return err
	}
	name := req.Spec.Name
	srvOpts := leaf
	if req.AttachOnly {
		srvOpts.Validity = ThrowawayValidity
	}
	srv, err := ca.IssueServer(name, req.Spec.SANs(), srvOpts)
	if err != nil {
		return err
	}
	cli, err := ca.IssueClient(name+" client", leaf)
	if err != nil {
		return err
	}
	if err := f.writePair(host, serverCertFile, serverKeyFile, srv); err != nil {
		return err
	}
	if err := f.writeClient(client, ca.CertPEM(), cli); err != nil {
		return err
	}
	rec := s.newRecord(req.Spec, req.ToolVersion, req.CA, ca, srv)
	rec.ThrowawayServerKey = req.AttachOnly
	rec.ManagedBy = req.ManagedBy
	rec.Fleet = req.Fleet
	return f.writeRecord(host, rec)
}

// newRecord is the record of a machine with CA ca and server key pair srv.
func (s *Store) newRecord(spec generator.Spec, toolVersion, sharedCA string, ca, srv *pki.Pair) *Record {
	return &Record{
		Version: RecordVersion, Name: spec.Name, CreatedAt: s.now().UTC().Truncate(time.Second),
		ToolVersion: toolVersion, CA: sharedCA, CAFingerprint: pki.Fingerprint(ca.Cert),
		KeyType: pki.TypeOf(srv.Cert.PublicKey), Spec: spec,
	}
}

// machineCA returns the shared CA named in req, staged in t when it is
// new, or a new CA of the machine's own written into host.
func (s *Store) machineCA(t *txn, req CreateRequest, host string) (*pki.Pair, error) {
	o := pki.Options{KeyType: req.KeyType, Now: s.now, Validity: req.CAValidity}
	if req.CA != "" {
		return s.sharedCA(t, req.CA, o)
	}
	ca, err := pki.NewCA("dockbake CA for "+req.Spec.Name, o)
	if err != nil {
		return nil, err
	}
	return ca, s.files().writePair(host, caCertFile, caKeyFile, ca)
}

// writeClient writes a DOCKER_CERT_PATH directory's files into dir: the
// CA bundle trust (certificates, never a key) and the client key pair.
func (f files) writeClient(dir string, trust []byte, client *pki.Pair) error {
	if err := f.writeNew(filepath.Join(dir, ClientCAFile), trust, certMode); err != nil {
		return err
	}
	return f.writePair(dir, ClientCertFile, ClientKeyFile, client)
}

// writePair writes a certificate, then its key: a crash in between leaves
// a certificate, which is public, never a key without its certificate.
func (f files) writePair(dir, certName, keyName string, p *pki.Pair) error {
	key, err := p.KeyPEM()
	if err != nil {
		return err
	}
	if err := f.writeNew(filepath.Join(dir, certName), p.CertPEM(), certMode); err != nil {
		return err
	}
	return f.writeNew(filepath.Join(dir, keyName), key, keyMode)
}

// writeRecord writes machine.json into dir, replacing one there: dir is
// always a staged directory, which nobody reads before it is in place.
func (f files) writeRecord(dir string, rec *Record) error {
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	return f.replaceFile(filepath.Join(dir, recordFile), append(data, '\n'), keyMode)
}
