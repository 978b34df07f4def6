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
	CA           bool
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
	t, host, client, err := s.beginMachine("rotate", req.Name)
	rot := &Rotation{}
	if err == nil {
		err = s.stageRotation(m, req, host, client, rot)
	}
	if err != nil {
		if t != nil {
			t.discard()
		}
		unlock()
		return nil, err
	}
	c, err := s.newChange(t, unlock, req.Name, host, client)
	if err != nil {
		return nil, err
	}
	c.Rotation = rot
	return c, nil
}

// stageRotation stages machine m with the certificates req asks for in
// host and client, and notes in rot what it replaced.
func (s *Store) stageRotation(m *Machine, req RotateRequest, host, client string, rot *Rotation) error {
	ca, err := s.caPair(m)
	if err != nil {
		return err
	}
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
	if req.CA {
		if ca, err = s.stageNewCA(m, req, host, client, rot); err != nil {
			return err
		}
	}
	if err := s.stageLeaves(m, req, ca, host, client, rot); err != nil {
		return err
	}
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

// stageNewCA writes a new CA of the machine's own into the staged
// directories and notes who loses access.
func (s *Store) stageNewCA(m *Machine, req RotateRequest, host, client string, rot *Rotation) (*pki.Pair, error) {
	ca, err := pki.NewCA("dockbake CA for "+m.Name, pki.Options{KeyType: m.KeyType, Now: s.now, Validity: req.CAValidity})
	if err != nil {
		return nil, err
	}
	f := s.files()
	if err := f.replacePair(host, caCertFile, caKeyFile, ca); err != nil {
		return nil, err
	}
	if err := f.replaceFile(filepath.Join(client, ClientCAFile), ca.CertPEM(), certMode); err != nil {
		return nil, err
	}
	if rot.Orphaned, err = readClients(f, filepath.Join(host, clientsDir)); err != nil {
		return nil, err
	}
	rot.CA, rot.LeftCA = ca.Cert, m.CA
	m.CA, m.CAFingerprint = "", pki.Fingerprint(ca.Cert)
	return ca, nil
}

// stageLeaves issues the new server certificate and, if asked or forced by
// a new CA, the new client certificate.
func (s *Store) stageLeaves(m *Machine, req RotateRequest, ca *pki.Pair, host, client string, rot *Rotation) error {
	o := pki.Options{KeyType: m.KeyType, Now: s.now, Validity: req.CertValidity}
	srv, err := ca.IssueServer(m.Name, m.Spec.SANs(), o)
	if err != nil {
		return err
	}
	f := s.files()
	if err := f.replacePair(host, serverCertFile, serverKeyFile, srv); err != nil {
		return err
	}
	rot.Server = srv.Cert
	if !req.Client && !req.CA {
		return nil
	}
	if old, err := f.readFile(filepath.Join(client, ClientCertFile)); err == nil {
		rot.OldClient, _ = pki.ParseCertificate(old)
	}
	cli, err := ca.IssueClient(m.Name+" client", o)
	if err != nil {
		return err
	}
	rot.Client = cli.Cert
	return f.replacePair(client, ClientCertFile, ClientKeyFile, cli)
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
