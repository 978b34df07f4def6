package store

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/dockbake/dockbake/pki"
)

// RotateRequest says which of a machine's certificates to replace. The
// server certificate is always replaced, with a new key.
type RotateRequest struct {
	Name string
	// SANs are the names of the new server certificate.
	SANs pki.SANs
	// Spec is the machine spec to record, for new addresses; nil keeps it.
	Spec any
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
	unlock, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	m, err := s.Load(req.Name)
	if err != nil {
		return nil, err
	}
	ca, err := s.caPair(m)
	if err != nil {
		return nil, err
	}
	stage, err := s.stagingDir("rotate-" + req.Name)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage)
	host, client := filepath.Join(stage, "host"), filepath.Join(stage, "client")
	if err := copyDir(s.HostDir(req.Name), host); err != nil {
		return nil, err
	}
	if err := copyDir(s.ClientDir(req.Name), client); err != nil {
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
	if req.Spec != nil {
		if m.Spec, err = encodeSpec(req.Spec); err != nil {
			return nil, err
		}
	}
	if err := writeRecord(host, &m.Record, true); err != nil {
		return nil, err
	}
	if err := s.install(stage, req.Name); err != nil {
		return nil, err
	}
	m.Warnings = nil
	rot.Machine = m
	return rot, nil
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
	if err := replaceFile(filepath.Join(client, caCertFile), ca.CertPEM(), certMode); err != nil {
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
	srv, err := ca.IssueServer(m.Name, req.SANs, o)
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
	if old, err := os.ReadFile(filepath.Join(client, clientCertFile)); err == nil {
		rot.OldClient, _ = pki.ParseCertificate(old)
	}
	cli, err := ca.IssueClient(m.Name+" client", o)
	if err != nil {
		return err
	}
	rot.Client = cli.Cert
	return replacePair(client, clientCertFile, clientKeyFile, cli)
}

// caPair loads the CA that signs machine m's certificates: its own, kept
// in its host directory, or the shared one it names. The key never leaves
// the store.
func (s *Store) caPair(m *Machine) (*pki.Pair, error) {
	dir := s.HostDir(m.Name)
	if m.CA != "" {
		dir = s.CADir(m.CA)
	}
	certPEM, err := os.ReadFile(filepath.Join(dir, caCertFile))
	if err != nil {
		return nil, &CorruptError{Path: dir, Err: fmt.Errorf("machine %q: its CA is missing: %w", m.Name, err)}
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, caKeyFile))
	if err != nil {
		return nil, &CorruptError{Path: dir, Err: fmt.Errorf("machine %q: its CA key is missing: %w", m.Name, err)}
	}
	ca, err := pki.LoadPair(certPEM, keyPEM)
	if err != nil {
		return nil, &CorruptError{Path: dir, Err: err}
	}
	if pki.Fingerprint(ca.Cert) != m.CAFingerprint {
		return nil, &CorruptError{Path: dir, Err: errors.New("CA certificate does not match the fingerprint in the machine record")}
	}
	return ca, nil
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
