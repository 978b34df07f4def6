package store

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
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
	defer unlock()
	ca, err := caPair(m)
	if err != nil {
		return nil, err
	}
	if req.Spec != nil {
		m.Spec = *req.Spec
	}
	stage, err := s.stagingDir("rotate-" + req.Name)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage)
	host, client, err := stageCopy(m, stage)
	if err != nil {
		return nil, err
	}
	rot := &Rotation{}
	if req.CA {
		if ca, err = s.stageNewCA(m, req, host, client, rot); err != nil {
			return nil, err
		}
	}
	if err := s.stageLeaves(m, req, ca, host, client, rot); err != nil {
		return nil, err
	}
	if err := writeRecord(host, &m.Record, true); err != nil {
		return nil, err
	}
	if err := s.install(stage, req.Name); err != nil {
		return nil, err
	}
	if rot.Machine, err = s.read(req.Name); err != nil {
		return nil, err
	}
	rot.Machine.Warnings = nil
	return rot, nil
}

// stageCopy copies machine m's host and client directories into stage, to
// be changed there and swapped in whole.
func stageCopy(m *Machine, stage string) (host, client string, err error) {
	host, client = filepath.Join(stage, "host"), filepath.Join(stage, "client")
	if err := copyDir(m.HostDir, host); err != nil {
		return "", "", err
	}
	return host, client, copyDir(m.ClientDir, client)
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
	if err := replacePair(host, caCertFile, caKeyFile, ca); err != nil {
		return nil, err
	}
	if err := replaceFile(filepath.Join(client, ClientCAFile), ca.CertPEM(), certMode); err != nil {
		return nil, err
	}
	if rot.Orphaned, err = readClients(filepath.Join(host, clientsDir)); err != nil {
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
	if err := replacePair(host, serverCertFile, serverKeyFile, srv); err != nil {
		return err
	}
	rot.Server = srv.Cert
	if !req.Client && !req.CA {
		return nil
	}
	if old, err := os.ReadFile(filepath.Join(client, ClientCertFile)); err == nil {
		rot.OldClient, _ = pki.ParseCertificate(old)
	}
	cli, err := ca.IssueClient(m.Name+" client", o)
	if err != nil {
		return err
	}
	rot.Client = cli.Cert
	return replacePair(client, ClientCertFile, ClientKeyFile, cli)
}

// replacePair replaces a certificate and its key in a staging directory.
func replacePair(dir, certName, keyName string, p *pki.Pair) error {
	for _, n := range []string{certName, keyName} {
		if err := os.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return writePair(dir, certName, keyName, p)
}

// replaceFile replaces one file in a staging directory; nobody reads it
// before the directory is renamed into place.
func replaceFile(path string, data []byte, mode fs.FileMode) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return writeNew(path, data, mode)
}

// copyDir copies the regular files and directories below src into dst,
// keeping their modes. Anything else (a symlink) is refused: the store
// never holds one.
func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return mkdirPrivate(target)
		case info.Mode().IsRegular():
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return writeNew(target, data, info.Mode().Perm())
		}
		return &CorruptError{Path: path, Err: errors.New("not a regular file or directory")}
	})
}
