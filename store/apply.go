package store

import (
	"fmt"

	"github.com/dockbake/dockbake/pki"
)

// Applying is a rotation on its way to a running host: the key pairs are
// issued and held in memory, nothing is written to the store until
// Commit, which a caller runs once the host serves the new certificate.
// Release ends it either way.
type Applying struct {
	// Machine is the machine as it was read when the rotation began.
	Machine *Machine
	// Trust is the CA bundle the host trusts after the rotation.
	Trust []byte
	// Server is the new server key pair.
	Server *pki.Pair
	// Client is the new client pair, nil when it is kept. The host
	// accepts it after the rotation.
	Client *pki.Pair

	store  *Store
	req    RotateRequest
	keys   *rotationKeys
	oldFP  string
	unlock func()
}

// PrepareRotate issues what req asks for, in memory, for delivery to the
// machine's running host, and takes the machine's delivery lock, so that
// an attach or another applied rotation of it is refused (ErrAttaching)
// until Release.
func (s *Store) PrepareRotate(req RotateRequest) (*Applying, error) {
	if err := ValidateName("machine", req.Name); err != nil {
		return nil, err
	}
	if err := checkRotatedSpec(req); err != nil {
		return nil, err
	}
	m, err := s.Load(req.Name)
	if err != nil {
		return nil, err
	}
	old, err := m.ServerCert()
	if err != nil {
		return nil, err
	}
	a := &Applying{Machine: m, store: s, req: req, oldFP: pki.Fingerprint(old)}
	if a.unlock, err = s.lockDelivery(req.Name); err != nil {
		return nil, err
	}
	if err := a.issue(); err != nil {
		a.Release()
		return nil, err
	}
	return a, nil
}

// issue makes the key pairs and the bundle the host trusts after.
func (a *Applying) issue() error {
	m := a.Machine
	k, err := a.store.issueRotation(m, a.req)
	if err != nil {
		return err
	}
	a.keys, a.Server, a.Client = k, k.server, k.client
	switch {
	case a.req.CA:
		a.Trust = k.newCA.CertPEM()
	case a.req.StartCA:
		a.Trust = append(append([]byte{}, k.signer.CertPEM()...), k.newCA.CertPEM()...)
	case a.req.FinishCA:
		a.Trust = k.signer.CertPEM()
	default:
		a.Trust, err = m.trustPEM()
	}
	return err
}

// Commit records the rotation, with the very key pairs the host took,
// staged and swapped in whole under the store's lock. It refuses if the
// machine changed since PrepareRotate.
func (a *Applying) Commit() (*Rotation, error) {
	s, name := a.store, a.Machine.Name
	m, unlock, err := s.lockMachine(name)
	if err != nil {
		return nil, err
	}
	cur, err := m.ServerCert()
	if err != nil || pki.Fingerprint(cur) != a.oldFP || m.NextCAFingerprint != a.Machine.NextCAFingerprint {
		unlock()
		return nil, fmt.Errorf("machine %q changed in the store while its host took the new certificates (%v)", name, err)
	}
	rot := &Rotation{}
	c, err := s.stageChange("rotate", name, unlock, func(_ *txn, host, client string) error {
		return s.stageKeys(m, a.req, a.keys, host, client, rot)
	})
	if err != nil {
		return nil, err
	}
	if rot.Machine, err = c.Commit(); err != nil {
		return nil, err
	}
	rot.Machine.Warnings = nil
	return rot, nil
}

// Release ends the rotation, committed or not, and drops the keys.
func (a *Applying) Release() {
	if a.unlock != nil {
		a.unlock()
		a.unlock = nil
	}
	a.keys, a.Server, a.Client = nil, nil, nil
}
