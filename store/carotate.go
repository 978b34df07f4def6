package store

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/dockbake/dockbake/pki"
)

// ErrRotating is a one-step CA change asked for while a two-step CA
// rotation is under way, or a second start.
var ErrRotating = errors.New("a CA rotation is under way")

// ErrNotRotating is a finish asked for while no CA rotation is under way.
var ErrNotRotating = errors.New("no CA rotation is under way")

// checkCAStep refuses a CA change that does not fit the machine's state.
func checkCAStep(m *Machine, req RotateRequest) error {
	n := 0
	for _, b := range []bool{req.CA, req.StartCA, req.FinishCA} {
		if b {
			n++
		}
	}
	switch {
	case n > 1:
		return fmt.Errorf("machine %q: a rotation makes one CA change at a time", m.Name)
	case (req.CA || req.StartCA) && m.Rotating():
		return fmt.Errorf("machine %q: %w (its next CA is %s)", m.Name, ErrRotating, m.NextCAFingerprint)
	case req.FinishCA && !m.Rotating():
		return fmt.Errorf("machine %q: %w", m.Name, ErrNotRotating)
	}
	return nil
}

// stageStartCA stages the first step of a two-step CA rotation: the new
// CA of k kept beside the old one, which still signs the server
// certificate, and a trust bundle of both for the host and the client
// directory.
func (s *Store) stageStartCA(m *Machine, k *rotationKeys, host, client string, rot *Rotation) error {
	f := s.files()
	if err := f.replacePair(host, nextCACertFile, nextCAKeyFile, k.newCA); err != nil {
		return err
	}
	bundle := append(append([]byte{}, k.signer.CertPEM()...), k.newCA.CertPEM()...)
	if err := f.replaceFile(filepath.Join(client, ClientCAFile), bundle, certMode); err != nil {
		return err
	}
	var err error
	if rot.Pending, err = readClients(f, filepath.Join(host, clientsDir)); err != nil {
		return err
	}
	rot.CA, rot.Started = k.newCA.Cert, true
	m.NextCAFingerprint = pki.Fingerprint(k.newCA.Cert)
	return nil
}

// stageFinishCA stages the second step: next, the CA that took over,
// becomes the machine's own CA, the only one trusted, and the old one's
// key is gone with the old host directory (a shared CA stays where it is,
// for the machines that keep it).
func (s *Store) stageFinishCA(m *Machine, next *pki.Pair, host, client string, rot *Rotation) error {
	f := s.files()
	if err := f.replacePair(host, caCertFile, caKeyFile, next); err != nil {
		return err
	}
	for _, n := range []string{nextCACertFile, nextCAKeyFile} {
		if err := f.removeAll(filepath.Join(host, n)); err != nil {
			return err
		}
	}
	if err := f.replaceFile(filepath.Join(client, ClientCAFile), next.CertPEM(), certMode); err != nil {
		return err
	}
	clients, err := readClients(f, filepath.Join(host, clientsDir))
	if err != nil {
		return err
	}
	for _, c := range clients {
		if c.Cert.CheckSignatureFrom(next.Cert) != nil {
			rot.Orphaned = append(rot.Orphaned, c)
		}
	}
	rot.CA, rot.LeftCA, rot.Finished = next.Cert, m.CA, true
	m.CA, m.CAFingerprint, m.NextCAFingerprint = "", pki.Fingerprint(next.Cert), ""
	return nil
}
