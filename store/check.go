package store

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/dockbake/dockbake/pki"
)

// errMissing is the damage of a file or directory that is not there.
var errMissing = errors.New("is missing")

// Check reads machine name under the store's lock, as Load does, and looks
// for damage: a record that does not read back, a missing directory or
// file, a certificate that does not parse, a key that does not match its
// certificate, a certificate its CA did not issue, a CA that is not the one
// the record names, a client record that is not a client certificate.
// Each problem is a *CorruptError naming the file. The machine is nil when
// its record is among them; err is for a machine that is not there and a
// store that cannot be read at all.
func (s *Store) Check(name string) (*Machine, []error, error) {
	if err := ValidateName("machine", name); err != nil {
		return nil, nil, err
	}
	unlock, err := s.rlock()
	if err != nil {
		return nil, nil, err
	}
	defer unlock()
	c, err := s.oneRead().checkLocked(name)
	return c.Machine, c.Problems, err
}

// checkLocked is Check for a caller that holds the lock already.
func (s *Store) checkLocked(name string) (Checked, error) {
	m, err := s.read(name)
	var corrupt *CorruptError
	if errors.As(err, &corrupt) {
		return Checked{Name: name, Problems: []error{err}}, nil
	}
	if err != nil {
		return Checked{Name: name}, err
	}
	return Checked{Name: name, Machine: m, Problems: s.problems(m)}, nil
}

// problems lists the damage of machine m, read under the lock.
func (s *Store) problems(m *Machine) []error {
	var ps []error
	var caCert *x509.Certificate
	ca, err := s.caPair(m)
	if err != nil {
		ps = append(ps, err)
	} else {
		caCert = ca.Cert
	}
	f := s.files()
	if fi, err := f.lstat(m.ClientDir); err != nil {
		ps = append(ps, damage(m.ClientDir, err))
	} else if !fi.IsDir() {
		ps = append(ps, &CorruptError{Path: m.ClientDir, Err: errors.New("is not a directory")})
	} else {
		if _, err := m.CACert(); err != nil {
			ps = append(ps, damage(m.files.caCert.path, err))
		}
		ps = append(ps, checkPair(m.files.clientCert, m.files.clientKey, s.checkClientCA(m, caCert, &ps))...)
	}
	if m.ThrowawayServerKey {
		ps = append(ps, checkCert(m.files.serverCert, caCert)...)
	} else {
		ps = append(ps, checkPair(m.files.serverCert, m.files.serverKey, caCert)...)
	}
	if _, err := readClients(f, filepath.Join(m.HostDir, clientsDir)); err != nil {
		ps = append(ps, damage(filepath.Join(m.HostDir, clientsDir), err))
	}
	return ps
}

// checkClientCA is the CA that must have issued m's client certificate:
// its CA, or during a two-step rotation the next one, which it checks.
func (s *Store) checkClientCA(m *Machine, ca *x509.Certificate, ps *[]error) *x509.Certificate {
	if !m.Rotating() {
		return ca
	}
	next, err := s.nextCAPair(m, m.HostDir)
	if err != nil {
		*ps = append(*ps, err)
		return nil
	}
	return next.Cert
}

// checkPair checks a certificate and its key as read in a snapshot, and
// that ca, when known, issued the certificate.
func checkPair(cert, key fileRead, ca *x509.Certificate) []error {
	var ps []error
	if cert.err != nil {
		ps = append(ps, damage(cert.path, cert.err))
	}
	if key.err != nil {
		ps = append(ps, damage(key.path, key.err))
	}
	if len(ps) > 0 {
		return ps
	}
	c, err := pki.ParseCertificate(cert.data)
	if err != nil {
		return []error{damage(cert.path, err)}
	}
	if _, err := pki.LoadPair(cert.data, key.data); err != nil {
		return []error{damage(key.path, fmt.Errorf("is not the key of %s: %w", filepath.Base(cert.path), err))}
	}
	if ca != nil && c.CheckSignatureFrom(ca) != nil {
		return []error{damage(cert.path, errors.New("is not issued by the machine's CA"))}
	}
	return nil
}

// checkCert checks a certificate without its key (an attach-only
// machine's server certificate) and that ca, when known, issued it.
func checkCert(cert fileRead, ca *x509.Certificate) []error {
	if cert.err != nil {
		return []error{damage(cert.path, cert.err)}
	}
	c, err := pki.ParseCertificate(cert.data)
	if err != nil {
		return []error{damage(cert.path, err)}
	}
	if ca != nil && c.CheckSignatureFrom(ca) != nil {
		return []error{damage(cert.path, errors.New("is not issued by the machine's CA"))}
	}
	return nil
}

// damage makes err a *CorruptError of path, saying plainly when the file
// is missing.
func damage(path string, err error) error {
	var corrupt *CorruptError
	switch {
	case errors.As(err, &corrupt):
		return err
	case errors.Is(err, fs.ErrNotExist):
		return &CorruptError{Path: path, Err: errMissing}
	}
	return &CorruptError{Path: path, Err: err}
}
