package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/pki"
)

// ErrAttaching is returned while another attach of the same machine is
// under way.
var ErrAttaching = errors.New("another attach of this machine is under way")

// AttachRequest says which addresses a machine's host now has.
type AttachRequest struct {
	Name     string
	IPs      []string
	DNSNames []string
	// Port is the host's TLS port; zero keeps the recorded one.
	Port         int
	CertValidity time.Duration
}

// Attaching is an attach under way: the machine as it was, the new spec
// and a fresh server key pair for it, held in memory only. Nothing is
// written to the store until Commit, which a caller runs once the host
// serves the new certificate. Release ends it either way.
type Attaching struct {
	// Machine is the machine as it was read when the attach began.
	Machine *Machine
	// Spec is the spec with the new addresses.
	Spec generator.Spec
	// Server is the fresh server key pair for Spec's addresses.
	Server *pki.Pair
	// CACert is the CA certificate the host keeps.
	CACert []byte

	store  *Store
	oldFP  string
	unlock func()
	// For an attach with a template (BeginAttachFrom): the new machine's
	// name, CA and client pair.
	newName     string
	toolVersion string
	ca, client  *pki.Pair
}

// BeginAttach checks req, issues a fresh server key pair for the new
// addresses and takes the machine's attach lock, so that a second attach
// of the same machine is refused (ErrAttaching) until Release.
func (s *Store) BeginAttach(req AttachRequest) (*Attaching, error) {
	return s.beginAttach(req, req.Name)
}

// beginAttach is BeginAttach holding the attach lock of machine lockName.
func (s *Store) beginAttach(req AttachRequest, lockName string) (*Attaching, error) {
	if err := ValidateName("machine", req.Name); err != nil {
		return nil, err
	}
	m, err := s.Load(req.Name)
	if err != nil {
		return nil, err
	}
	spec := m.Spec
	spec.IPs, spec.DNSNames = req.IPs, req.DNSNames
	if req.Port != 0 {
		spec.Port = req.Port
	}
	if !spec.Attached() {
		return nil, &generator.FieldError{Field: generator.FieldIP, Msg: "give at least one {ip} or {dns}", Hint: "the address the host got"}
	}
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("machine %q: %w", req.Name, err)
	}
	a := &Attaching{Machine: m, Spec: spec, store: s}
	if err := a.lock(lockName); err != nil {
		return nil, err
	}
	if err := a.issue(req.CertValidity); err != nil {
		a.Release()
		return nil, err
	}
	return a, nil
}

// lock takes the machine's delivery lock for the attach.
func (a *Attaching) lock(name string) error {
	release, err := a.store.lockDelivery(name)
	a.unlock = release
	return err
}

// lockDelivery takes machine name's delivery lock: a file of the store's root, .attach-NAME, locked
// for as long as an attach or an applied rotation of NAME runs: the
// operating system releases it when the process ends, however it ends,
// so a killed attach leaves no lock behind. A lock of its own rather than
// the store's: a delivery lasts minutes, over a network, and must not
// hold the lock every reader waits for.
func (s *Store) lockDelivery(name string) (func(), error) {
	path := filepath.Join(s.Root, ".attach-"+name)
	held, err := s.files().tryLock(path)
	if err != nil {
		return nil, fmt.Errorf("machine %q: taking the attach lock: %w", name, err)
	}
	if held == nil {
		return nil, fmt.Errorf("machine %q: %w", name, ErrAttaching)
	}
	return held, nil
}

// issue makes the fresh server key pair, signed by the machine's CA.
func (a *Attaching) issue(validity time.Duration) error {
	m := a.Machine
	ca, err := a.store.caPair(m)
	if err != nil {
		return err
	}
	old, err := m.ServerCert()
	if err != nil {
		return err
	}
	trust, err := m.trustPEM() // not HostCerts: an attach-only machine has no server key
	if err != nil {
		return err
	}
	a.oldFP, a.CACert = pki.Fingerprint(old), trust
	a.Server, err = ca.IssueServer(m.Name, a.Spec.SANs(), pki.Options{KeyType: m.KeyType, Now: a.store.now, Validity: validity})
	return err
}

// Commit records the new spec and server key pair, staged and swapped in
// whole under the store's lock. It refuses if the machine's server
// certificate changed since BeginAttach.
func (a *Attaching) Commit() (*Machine, error) {
	if a.newName != "" {
		return a.commitNew()
	}
	s, name := a.store, a.Machine.Name
	m, unlock, err := s.lockMachine(name)
	if err != nil {
		return nil, err
	}
	if cur, err := m.ServerCert(); err != nil || pki.Fingerprint(cur) != a.oldFP {
		unlock()
		return nil, fmt.Errorf("machine %q changed in the store while it was attached (%v)", name, err)
	}
	c, err := s.stageChange("attach", name, unlock, func(_ *txn, host, client string) error {
		return a.stageAttached(m, host, client)
	})
	if err != nil {
		return nil, err
	}
	return c.Commit()
}

// stageAttached stages machine m with the new spec and server key pair.
func (a *Attaching) stageAttached(m *Machine, host, client string) error {
	f := a.store.files()
	if err := f.copyDir(m.HostDir, host); err != nil {
		return err
	}
	if err := f.copyDir(m.ClientDir, client); err != nil {
		return err
	}
	if err := f.replacePair(host, serverCertFile, serverKeyFile, a.Server); err != nil {
		return err
	}
	m.Spec, m.ThrowawayServerKey = a.Spec, false
	return f.writeRecord(host, &m.Record)
}

// Release ends the attach, committed or not, and drops the fresh key.
func (a *Attaching) Release() {
	if a.unlock != nil {
		a.unlock()
		a.unlock = nil
	}
	a.Server, a.ca, a.client = nil, nil, nil
}

// ServerOwner names the machine of the store whose server certificate has
// the SHA-256 fingerprint fp, or "" if none has.
func (s *Store) ServerOwner(fp string) string {
	names, err := s.Names()
	if err != nil {
		return ""
	}
	for _, n := range names {
		m, err := s.Load(n)
		if err != nil {
			continue
		}
		if c, err := m.ServerCert(); err == nil && pki.Fingerprint(c) == fp {
			return n
		}
	}
	return ""
}
