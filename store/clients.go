package store

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
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
// key and the CA certificate (never the CA key) into req.Dir. The store
// records the certificate first and writes req.Dir after; if that fails,
// the record is taken back. So a key is never anywhere without its
// certificate in the store's records, even after a crash.
func (s *Store) AddClient(req ClientRequest) (*IssuedClient, error) {
	if err := s.checkClientRequest(req); err != nil {
		return nil, err
	}
	m, unlock, err := s.lockMachine(req.Machine)
	if err != nil {
		return nil, err
	}
	defer unlock()
	f := s.files()
	record := filepath.Join(m.HostDir, clientsDir, req.User+".pem")
	out := &IssuedClient{}
	old, err := f.readFile(record)
	if err == nil {
		if !req.Force {
			return nil, fmt.Errorf("client %q of machine %q: %w", req.User, req.Machine, ErrExists)
		}
		out.Replaced, _ = pki.ParseCertificate(old)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	ca, err := s.clientCA(m)
	if err != nil {
		return nil, err
	}
	trust, err := m.trustPEM()
	if err != nil {
		return nil, err
	}
	p, err := ca.IssueClient(req.User, pki.Options{KeyType: m.KeyType, Now: s.now, Validity: req.Validity})
	if err != nil {
		return nil, err
	}
	if err := s.putRecord(req, record, p.CertPEM()); err != nil {
		return nil, err
	}
	if err := f.writeClientDir(req.Dir, trust, p, req.Force); err != nil {
		// Take the record back: no certificate was handed out.
		return nil, errors.Join(err, s.putRecord(req, record, old))
	}
	out.Cert = p.Cert
	return out, nil
}

// checkClientRequest checks the names and the directory of req.
func (s *Store) checkClientRequest(req ClientRequest) error {
	if err := ValidateName("machine", req.Machine); err != nil {
		return err
	}
	if err := ValidateName("user", req.User); err != nil {
		return err
	}
	if inside(s.Root, req.Dir) {
		return fmt.Errorf("directory %s is inside the store %s: give a directory of its own", req.Dir, s.Root)
	}
	return s.files().checkClientDir(req.Dir, req.Force)
}

// checkClientDir refuses to replace dir without force, and with it, a dir
// that holds anything but client certificate files.
func (f files) checkClientDir(dir string, force bool) error {
	if !f.exists(dir) {
		return nil
	}
	if !force {
		return fmt.Errorf("directory %s: %w", dir, ErrExists)
	}
	if !f.isClientDir(dir) {
		return fmt.Errorf("%s exists and holds more than a client certificate: not replacing it, even with force", dir)
	}
	return nil
}

// putRecord sets client record path to cert in one transaction; a nil cert
// removes it.
func (s *Store) putRecord(req ClientRequest, path string, cert []byte) error {
	t, err := s.begin("client-" + req.Machine + "-" + req.User)
	if err != nil {
		return err
	}
	if cert == nil {
		err = t.remove(path)
	} else {
		var staged string
		if staged, err = t.put(path); err == nil {
			err = s.files().writeNew(staged, cert, certMode)
		}
	}
	if err != nil {
		t.discard()
		return err
	}
	return t.commit()
}

// Clients lists the extra client certificates of machine m, by user.
func (s *Store) Clients(m *Machine) ([]ClientInfo, error) {
	unlock, err := s.rlock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	return readClients(s.files(), filepath.Join(s.HostDir(m.Name), clientsDir))
}

func readClients(f files, dir string) ([]ClientInfo, error) {
	entries, err := f.readDir(dir)
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
		path := filepath.Join(dir, e.Name())
		data, err := f.readFile(path)
		if err != nil {
			return nil, err
		}
		c, err := ParseClientRecord(data)
		if err != nil {
			return nil, &CorruptError{Path: path, Err: err}
		}
		out = append(out, ClientInfo{User: user, Cert: c})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].User < out[j].User })
	return out, nil
}

// ParseClientRecord reads a client record, clients/USER.pem: one
// certificate for client authentication, and never a key.
func ParseClientRecord(data []byte) (*x509.Certificate, error) {
	if bytes.Contains(data, []byte("PRIVATE KEY")) {
		return nil, errors.New("holds a private key, which the store never keeps for a client")
	}
	c, err := pki.ParseCertificate(data)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageClientAuth) {
		return nil, errors.New("not a client certificate (no clientAuth usage)")
	}
	return c, nil
}

// writeClientDir writes what a docker client needs in DOCKER_CERT_PATH:
// ca.pem, cert.pem and key.pem (0600) in a 0700 directory. The directory is
// staged next to dir and put in place in one step; an existing dir is
// replaced only with force. Nothing is left behind on failure.
func (f files) writeClientDir(dir string, trust []byte, p *pki.Pair, force bool) error {
	if err := f.checkClientDir(dir, force); err != nil {
		return err
	}
	parent := filepath.Dir(dir)
	if err := f.mkdirAll(parent, 0o755); err != nil {
		return err
	}
	f.removeStale(dir)
	tmp := filepath.Join(parent, "."+filepath.Base(dir)+"-"+randomSuffix())
	if err := f.disk.Mkdir(tmp, dirMode); err != nil {
		return err
	}
	defer f.removeAll(tmp)
	if err := f.writeClient(tmp, trust, p); err != nil {
		return err
	}
	if err := f.disk.SyncDir(tmp); err != nil {
		return err
	}
	if err := f.place(tmp, dir); err != nil {
		return fmt.Errorf("writing %s: %w", dir, err)
	}
	// The files are synced and in place. A parent that fails to sync risks
	// the entry on a power loss only; undoing a rename that happened would
	// be worse.
	f.disk.SyncDir(parent)
	return nil
}

// place puts the directory tmp at dir. An existing dir is swapped with it
// in one step where the system can, and left at tmp for the caller to
// remove; elsewhere it is renamed aside first, and a crash between the
// two renames leaves both next to dir, for the next writeClientDir into
// dir to remove.
func (f files) place(tmp, dir string) error {
	if !f.exists(dir) {
		return f.rename(tmp, dir)
	}
	if err := f.disk.Exchange(tmp, dir); !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	old := tmp + ".old"
	if err := f.rename(dir, old); err != nil {
		return err
	}
	if err := f.rename(tmp, dir); err != nil {
		f.rename(old, dir)
		return err
	}
	f.removeAll(old)
	return nil
}

// removeStale removes what a writeClientDir into dir that was killed left
// next to it: hidden directories of its naming that hold nothing but
// client certificate files.
func (f files) removeStale(dir string) {
	entries, err := f.readDir(filepath.Dir(dir))
	if err != nil {
		return
	}
	prefix := "." + filepath.Base(dir) + "-"
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		rest = strings.TrimSuffix(rest, ".old")
		path := filepath.Join(filepath.Dir(dir), e.Name())
		if ok && e.IsDir() && len(rest) == 12 && strings.Trim(rest, "0123456789abcdef") == "" && f.isClientDir(path) {
			f.removeAll(path)
		}
	}
}

// isClientDir reports whether dir is a directory that holds nothing but
// client certificate files, so that replacing it loses nothing else.
func (f files) isClientDir(dir string) bool {
	entries, err := f.readDir(dir)
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
