package store

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/dockbake/dockbake/pki"
)

// clientsDir, inside a machine's host directory, keeps the certificate (never
// the key) of every extra client certificate issued for the machine, so that
// they can be listed and their holders told when a new CA cuts them off.
const clientsDir = "clients"

// ClientInfo is an extra client certificate issued with AddClient.
type ClientInfo struct {
	User string
	Cert *x509.Certificate
}

// ClientRequest asks for an extra client certificate for a teammate.
type ClientRequest struct {
	Machine string
	// User becomes the certificate's common name, which is the user name
	// that Docker authorization plugins see.
	User     string
	Validity time.Duration
	// Dir is the directory to write, usable as DOCKER_CERT_PATH.
	Dir string
	// Force replaces an existing Dir and a earlier certificate of User.
	Force bool
}

// IssuedClient reports what AddClient did.
type IssuedClient struct {
	Cert *x509.Certificate
	// Replaced is User's earlier certificate: it stays valid until it
	// expires, since dockerd checks no revocation list.
	Replaced *x509.Certificate
}

// AddClient issues a client certificate from machine's CA and writes it, its
// key and the CA certificate (never the CA key) into req.Dir.
func (s *Store) AddClient(req ClientRequest) (*IssuedClient, error) {
	if err := ValidateName("machine", req.Machine); err != nil {
		return nil, err
	}
	if err := ValidateName("user", req.User); err != nil {
		return nil, err
	}
	if inside(s.Root, req.Dir) {
		return nil, fmt.Errorf("directory %s is inside the store %s: give a directory of its own", req.Dir, s.Root)
	}
	if PathExists(req.Dir) && !req.Force {
		return nil, fmt.Errorf("directory %s: %w", req.Dir, ErrExists)
	}
	m, unlock, err := s.lockMachine(req.Machine)
	if err != nil {
		return nil, err
	}
	defer unlock()
	record := filepath.Join(m.HostDir, clientsDir, req.User+".pem")
	out := &IssuedClient{}
	if old, err := os.ReadFile(record); err == nil {
		if !req.Force {
			return nil, fmt.Errorf("client %q of machine %q: %w", req.User, req.Machine, ErrExists)
		}
		out.Replaced, _ = pki.ParseCertificate(old)
	}
	ca, err := caPair(m)
	if err != nil {
		return nil, err
	}
	p, err := ca.IssueClient(req.User, pki.Options{KeyType: m.KeyType, Now: s.now, Validity: req.Validity})
	if err != nil {
		return nil, err
	}
	if err := writeClientDir(req.Dir, ca, p, req.Force); err != nil {
		return nil, err
	}
	if err := mkdirPrivate(filepath.Dir(record)); err != nil {
		return nil, err
	}
	if err := WriteFileAtomic(record, p.CertPEM(), certMode); err != nil {
		return nil, err
	}
	out.Cert = p.Cert
	return out, nil
}

// Clients lists the extra client certificates of machine m, by user.
func (s *Store) Clients(m *Machine) ([]ClientInfo, error) {
	unlock, err := s.rlock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	return readClients(filepath.Join(s.HostDir(m.Name), clientsDir))
}

func readClients(dir string) ([]ClientInfo, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []ClientInfo
	for _, e := range entries {
		user, ok := strings.CutSuffix(e.Name(), ".pem")
		if !ok || e.IsDir() || ValidateName("user", user) != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		c, err := pki.ParseCertificate(data)
		if err != nil {
			return nil, &CorruptError{Path: filepath.Join(dir, e.Name()), Err: err}
		}
		out = append(out, ClientInfo{User: user, Cert: c})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].User < out[j].User })
	return out, nil
}

// writeClientDir writes what a docker client needs in DOCKER_CERT_PATH:
// ca.pem, cert.pem and key.pem (0600) in a 0700 directory. The directory is
// staged next to dir and renamed into place; an existing dir is replaced
// only with force.
func writeClientDir(dir string, ca, p *pki.Pair, force bool) error {
	if PathExists(dir) && !force {
		return fmt.Errorf("directory %s: %w", dir, ErrExists)
	}
	if PathExists(dir) && !isClientDir(dir) {
		return fmt.Errorf("%s exists and holds more than a client certificate: not replacing it, even with force", dir)
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := writeClient(tmp, ca, p); err != nil {
		return err
	}
	if err := os.Chmod(tmp, dirMode); err != nil {
		return err
	}
	if PathExists(dir) {
		old := tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return fmt.Errorf("replacing %s: %w", dir, err)
		}
		defer os.RemoveAll(old)
		if err := os.Rename(tmp, dir); err != nil {
			os.Rename(old, dir)
			return fmt.Errorf("replacing %s: %w", dir, err)
		}
		return syncDir(parent)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("writing %s: %w", dir, err)
	}
	return syncDir(parent)
}

// isClientDir reports whether dir is a directory that holds nothing but
// client certificate files, so that replacing it loses nothing else.
func isClientDir(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		switch e.Name() {
		case ClientCAFile, ClientCertFile, ClientKeyFile:
		default:
			return false
		}
	}
	return true
}

// inside reports whether path is root or below it, so that a teammate's
// files never land on, or replace, the store's own.
func inside(root, path string) bool {
	abs, err := filepath.Abs(path)
	if err != nil {
		return true
	}
	rel, err := filepath.Rel(root, abs)
	return err == nil && (rel == "." || !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && rel != "..")
}
