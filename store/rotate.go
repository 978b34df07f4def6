package store

import (
	"crypto/x509"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/pki"
)

// RotateRequest says which of a machine's certificates to replace. The
// server certificate is always replaced, with a new key, for the addresses
// of the machine's spec.
type RotateRequest struct {
	Name string
	// Spec is the machine spec to record, with new addresses; nil keeps the
	// recorded one. It must validate and keep the machine's name.
	Spec *generator.Spec
	// Client asks for a new client certificate in the client directory.
	Client bool
	// CA asks for a new CA of the machine's own, which implies new server
	// and client certificates. A machine on a shared CA leaves it.
	CA bool
	// StartCA begins a two-step CA rotation for a running host: a new CA
	// of the machine's own that issues a new client certificate, while the
	// server certificate stays on the old CA and host and clients trust
	// both. Teammates' certificates keep working until FinishCA.
	StartCA bool
	// FinishCA ends it: the new CA signs the server certificate and is
	// the only one trusted; the old CA's key is deleted (a shared CA, which
	// other machines keep, is left instead).
	FinishCA     bool
	CertValidity time.Duration
	CAValidity   time.Duration
}

// Rotation reports what Rotate replaced.
type Rotation struct {
	// Machine is the machine as it is now, read back.
	Machine *Machine
	Server  *x509.Certificate
	// Client is the new client certificate, nil when it was kept.
	Client *x509.Certificate
	// OldClient is the replaced client certificate. Without a new CA it
	// stays valid until it expires: dockerd checks no revocation list.
	OldClient *x509.Certificate
	// CA is the new CA, nil when the CA was kept.
	CA *x509.Certificate
	// LeftCA names the shared CA a machine left for a CA of its own.
	LeftCA string
	// Orphaned are the extra client certificates (client add) that the
	// new CA no longer accepts.
	Orphaned []ClientInfo
	// Pending, for StartCA, are the extra client certificates that work
	// until FinishCA and not after: their holders need new ones.
	Pending []ClientInfo
	// Started and Finished tell a StartCA and a FinishCA apart from a
	// one-step new CA.
	Started, Finished bool
}

// Rotate issues new certificates for a machine. Everything is staged and
// swapped in at once, so a failure leaves the machine as it was.
func (s *Store) Rotate(req RotateRequest) (*Rotation, error) {
	c, err := s.StageRotate(req)
	if err != nil {
		return nil, err
	}
	if _, err := c.Commit(); err != nil {
		return nil, err
	}
	c.Rotation.Machine.Warnings = nil
	return c.Rotation, nil
}

// StageRotate issues new certificates for a machine and stages the machine
// with them, without changing it: the returned Change's Machine is the
// machine to be, its Rotation what is replaced, and Commit makes it.
func (s *Store) StageRotate(req RotateRequest) (*Change, error) {
	if err := ValidateName("machine", req.Name); err != nil {
		return nil, err
	}
	if err := checkRotatedSpec(req); err != nil {
		return nil, err
	}
	m, unlock, err := s.lockMachine(req.Name)
	if err != nil {
		return nil, err
	}
	rot := &Rotation{}
	c, err := s.stageChange("rotate", req.Name, unlock, func(_ *txn, host, client string) error {
		return s.stageRotation(m, req, host, client, rot)
	})
	if err != nil {
		return nil, err
	}
	c.Rotation = rot
	return c, nil
}

// stageRotation stages machine m with the certificates req asks for in
// host and client, and notes in rot what it replaced.
func (s *Store) stageRotation(m *Machine, req RotateRequest, host, client string, rot *Rotation) error {
	k, err := s.issueRotation(m, req)
	if err != nil {
		return err
	}
	return s.stageKeys(m, req, k, host, client, rot)
}

// rotationKeys are the key pairs a rotation issues, made before anything
// is staged: a rotation delivered to a running host (PrepareRotate) holds
// them in memory while the host takes them, and stages the same ones.
type rotationKeys struct {
	// newCA is the CA a new CA or a started rotation makes.
	newCA *pki.Pair
	// signer is the CA that signs the server certificate.
	signer *pki.Pair
	server *pki.Pair
	// client is the new client pair, nil when the client certificate is
	// kept.
	client *pki.Pair
}

// issueRotation checks req against machine m and issues its key pairs.
func (s *Store) issueRotation(m *Machine, req RotateRequest) (*rotationKeys, error) {
	if err := checkCAStep(m, req); err != nil {
		return nil, err
	}
	k := &rotationKeys{}
	var err error
	if k.signer, err = s.caPair(m); err != nil {
		return nil, err
	}
	clientCA := k.signer
	if m.Rotating() {
		if clientCA, err = s.nextCAPair(m, m.HostDir); err != nil {
			return nil, err
		}
	}
	if req.CA || req.StartCA {
		if k.newCA, err = pki.NewCA("dockbake CA for "+m.Name, pki.Options{KeyType: m.KeyType, Now: s.now, Validity: req.CAValidity}); err != nil {
			return nil, err
		}
		clientCA = k.newCA
	}
	if req.CA || req.FinishCA {
		k.signer = clientCA
	}
	spec := m.Spec
	if req.Spec != nil {
		spec = *req.Spec
	}
	o := pki.Options{KeyType: m.KeyType, Now: s.now, Validity: req.CertValidity}
	if k.server, err = k.signer.IssueServer(m.Name, spec.SANs(), o); err != nil {
		return nil, err
	}
	if req.Client || req.CA || req.StartCA {
		if k.client, err = clientCA.IssueClient(m.Name+" client", o); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// stageKeys stages machine m with the key pairs k in host and client.
func (s *Store) stageKeys(m *Machine, req RotateRequest, k *rotationKeys, host, client string, rot *Rotation) error {
	if req.Spec != nil {
		m.Spec = *req.Spec
	}
	f := s.files()
	if err := f.copyDir(m.HostDir, host); err != nil {
		return err
	}
	if err := f.copyDir(m.ClientDir, client); err != nil {
		return err
	}
	var err error
	switch {
	case req.CA:
		err = s.stageNewCA(m, k.newCA, host, client, rot)
	case req.StartCA:
		err = s.stageStartCA(m, k, host, client, rot)
	case req.FinishCA:
		err = s.stageFinishCA(m, k.signer, host, client, rot)
	}
	if err != nil {
		return err
	}
	if err := s.stageLeaves(k, host, client, rot); err != nil {
		return err
	}
	m.ThrowawayServerKey = false // a new pair, kept
	return f.writeRecord(host, &m.Record)
}

// checkRotatedSpec refuses a new spec that does not validate or that names
// another machine.
func checkRotatedSpec(req RotateRequest) error {
	if req.Spec == nil {
		return nil
	}
	if req.Spec.Name != req.Name {
		return fmt.Errorf("machine %q: the new spec names %q: a rotation keeps the machine's name", req.Name, req.Spec.Name)
	}
	if err := req.Spec.Validate(); err != nil {
		return fmt.Errorf("machine %q: %w", req.Name, err)
	}
	return nil
}

// stageNewCA writes ca, a new CA of the machine's own, into the staged
// directories and notes who loses access.
func (s *Store) stageNewCA(m *Machine, ca *pki.Pair, host, client string, rot *Rotation) error {
	f := s.files()
	if err := f.replacePair(host, caCertFile, caKeyFile, ca); err != nil {
		return err
	}
	if err := f.replaceFile(filepath.Join(client, ClientCAFile), ca.CertPEM(), certMode); err != nil {
		return err
	}
	var err error
	if rot.Orphaned, err = readClients(f, filepath.Join(host, clientsDir)); err != nil {
		return err
	}
	rot.CA, rot.LeftCA = ca.Cert, m.CA
	m.CA, m.CAFingerprint = "", pki.Fingerprint(ca.Cert)
	return nil
}

// stageLeaves writes the new server pair and, if there is one, the new
// client pair.
func (s *Store) stageLeaves(k *rotationKeys, host, client string, rot *Rotation) error {
	f := s.files()
	if err := f.replacePair(host, serverCertFile, serverKeyFile, k.server); err != nil {
		return err
	}
	rot.Server = k.server.Cert
	if k.client == nil {
		return nil
	}
	if old, err := f.readFile(filepath.Join(client, ClientCertFile)); err == nil {
		rot.OldClient, _ = pki.ParseCertificate(old)
	}
	rot.Client = k.client.Cert
	return f.replacePair(client, ClientCertFile, ClientKeyFile, k.client)
}

// replacePair replaces a certificate and its key in a staging directory.
func (f files) replacePair(dir, certName, keyName string, p *pki.Pair) error {
	for _, n := range []string{certName, keyName} {
		if err := f.removeAll(filepath.Join(dir, n)); err != nil {
			return err
		}
	}
	return f.writePair(dir, certName, keyName, p)
}

// replaceFile replaces one file in a staging directory; nobody reads it
// before the directory is renamed into place.
func (f files) replaceFile(path string, data []byte, mode fs.FileMode) error {
	if err := f.removeAll(path); err != nil {
		return err
	}
	return f.writeNew(path, data, mode)
}

// copyDir copies the regular files and directories below src into dst,
// keeping their modes. Anything else (a symbolic link) is refused: the
// store never holds one.
func (f files) copyDir(src, dst string) error {
	fi, err := f.lstat(src)
	if err != nil {
		return err
	}
	switch {
	case fi.IsDir():
		if err := f.mkdirPrivate(dst); err != nil {
			return err
		}
		entries, err := f.readDir(src)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if err := f.copyDir(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
				return err
			}
		}
		return nil
	case fi.Mode().IsRegular():
		data, err := f.readFile(src)
		if err != nil {
			return err
		}
		return f.writeNew(dst, data, fi.Mode().Perm())
	}
	return &CorruptError{Path: src, Err: errNotRegular}
}
