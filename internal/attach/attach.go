package attach

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/internal/deliver"
	"github.com/dockbake/dockbake/pki"
	"github.com/dockbake/dockbake/store"
)

// Request is one attach of a machine to the addresses its host has now.
type Request struct {
	Store *store.Store
	// Name is the machine to attach; with From, the new machine to make.
	Name string
	// IPs and DNSNames are the host's addresses now; the first is dialled.
	IPs, DNSNames []string
	// Port is the host's TLS port as reached from here; zero: the
	// recorded one.
	Port int
	// From is the machine the host was set up as (a golden image): Name
	// becomes a new machine with a CA and certificates of its own.
	From string
	// Force delivers although containers restart with dockerd.
	Force bool
	// Retry keeps trying while the host cannot be reached or has no apply
	// mechanism yet (it is still booting), until the context ends.
	Retry       bool
	ToolVersion string
	// Progress, if set, is told each step.
	Progress func(format string, args ...any)
	// SpoolDir and Tamper are for tests: the spool's path on a host
	// without the apply mechanism, and a change to the delivery (a pair
	// the host cannot serve, to prove the rollback).
	SpoolDir string
	Tamper   func(*deliver.Request) error
}

// Error is a failed delivery to the host at Addr; the store is unchanged.
type Error struct {
	Name, Addr string
	Err        error
}

// Error names the machine and the address.
func (e *Error) Error() string { return fmt.Sprintf("machine %q at %s: %v", e.Name, e.Addr, e.Err) }

// Unwrap is the cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrNotRecorded is a host that serves the new certificate while the
// store failed to record it: attaching again with the same addresses
// mends it.
var ErrNotRecorded = errors.New("the host serves the new certificate, but recording it failed")

// Run attaches the machine: it returns the machine as recorded once the
// host serves its new certificate.
func Run(ctx context.Context, r Request) (*store.Machine, error) {
	a, err := begin(r)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	dr, err := request(r, a)
	if err != nil {
		return nil, err
	}
	if err := Deliver(ctx, dr, r.Retry); err != nil {
		return nil, &Error{Name: r.Name, Addr: dr.Addr, Err: err}
	}
	m, err := a.Commit()
	if err != nil {
		return nil, fmt.Errorf("machine %q at %s: %w: %w", r.Name, dr.Addr, ErrNotRecorded, err)
	}
	return m, nil
}

// begin starts the store's side: the fresh key pair, in memory.
func begin(r Request) (*store.Attaching, error) {
	req := store.AttachRequest{Name: r.Name, IPs: r.IPs, DNSNames: r.DNSNames, Port: r.Port}
	if r.From != "" {
		return r.Store.BeginAttachFrom(store.AttachFromRequest{AttachRequest: req, Template: r.From, ToolVersion: r.ToolVersion})
	}
	return r.Store.BeginAttach(req)
}

// request pins the host to the certificate the store holds for it and
// makes the delivery of the fresh key pair.
func request(r Request, a *store.Attaching) (deliver.Request, error) {
	return shipment{
		m: a.Machine, spec: a.Spec, trust: a.CACert, server: a.Server, next: a.NewClient(),
		spool: r.SpoolDir, force: r.Force, progress: r.Progress, tamper: r.Tamper,
	}.request(r.Store)
}

// shipment is what one flow delivers to the host of machine m: trust and
// the server pair, to spec's address, with next presented as well once
// the host trusts only its CA.
type shipment struct {
	m            *store.Machine
	spec         generator.Spec
	trust        []byte
	server, next *pki.Pair
	spool        string
	force        bool
	progress     func(format string, args ...any)
	tamper       func(*deliver.Request) error
}

// request pins the host to the server certificate the store holds for m
// and makes the delivery.
func (sh shipment) request(s *store.Store) (deliver.Request, error) {
	old, err := sh.m.ServerCert()
	if err != nil {
		return deliver.Request{}, err
	}
	pin, err := PinFor(s, sh.m, old)
	if err != nil {
		return deliver.Request{}, err
	}
	if pin.Next, err = clientCert(sh.next); err != nil {
		return deliver.Request{}, err
	}
	key, err := sh.server.KeyPEM()
	if err != nil {
		return deliver.Request{}, err
	}
	dr := deliver.Request{
		Addr:     net.JoinHostPort(sh.spec.Address(), strconv.Itoa(sh.spec.Port)),
		Pin:      pin,
		Delivery: generator.Delivery{ID: NewID(), CACert: sh.trust, ServerCert: sh.server.CertPEM(), ServerKey: key},
		New:      sh.server.Cert,
		SpoolDir: sh.spool,
		Force:    sh.force,
		Progress: sh.progress,
	}
	if sh.tamper != nil {
		err = sh.tamper(&dr)
	}
	return dr, err
}

// PinFor trusts exactly the server certificate srv and presents m's
// client certificate; a host presenting another machine's certificate is
// named by the store.
func PinFor(s *store.Store, m *store.Machine, srv *x509.Certificate) (deliver.Pin, error) {
	cf := m.ClientFiles()
	client, err := tls.LoadX509KeyPair(cf.Cert, cf.Key)
	if err != nil {
		return deliver.Pin{}, fmt.Errorf("machine %q: reading its client certificate: %w", m.Name, err)
	}
	return deliver.Pin{Servers: []*x509.Certificate{srv}, Client: client, Owner: func(fp string) string {
		if o := s.ServerOwner(fp); o != m.Name {
			return o
		}
		return ""
	}}, nil
}

// clientCert is p as a TLS certificate, or nil for no pair.
func clientCert(p *pki.Pair) (*tls.Certificate, error) {
	if p == nil {
		return nil, nil
	}
	key, err := p.KeyPEM()
	if err != nil {
		return nil, err
	}
	c, err := tls.X509KeyPair(p.CertPEM(), key)
	return &c, err
}

// NewID is a delivery's ID: a time stamp and a random suffix, e.g.
// 20260301T101500Z-3f9a.
func NewID() string {
	var b [2]byte
	rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}
