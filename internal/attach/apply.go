package attach

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/internal/deliver"
	"github.com/dockbake/dockbake/store"
)

// ApplyRequest is a rotation delivered to a running host
// (`regenerate-certs --apply`).
type ApplyRequest struct {
	Store  *store.Store
	Rotate store.RotateRequest
	// Force delivers although containers restart with dockerd.
	Force bool
	// Retry, Progress, SpoolDir and Tamper are as in Request.
	Retry    bool
	Progress func(format string, args ...any)
	SpoolDir string
	Tamper   func(*deliver.Request) error
}

// ErrNotAttached is a rotation to apply to a machine whose host has no
// address yet.
var ErrNotAttached = fmt.Errorf("it is not attached: its host has no address to deliver to")

// Apply issues the rotation r asks for, delivers it to the host at the
// machine's recorded address, and records it once the host serves the new
// server certificate. The store is unchanged on error.
func Apply(ctx context.Context, r ApplyRequest) (*store.Rotation, error) {
	a, err := r.Store.PrepareRotate(r.Rotate)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	m := a.Machine
	if !m.Spec.Attached() {
		return nil, fmt.Errorf("machine %q: %w", m.Name, ErrNotAttached)
	}
	dr, err := applyRequest(r, a)
	if err != nil {
		return nil, err
	}
	if err := Deliver(ctx, dr, r.Retry); err != nil {
		return nil, &Error{Name: m.Name, Addr: dr.Addr, Err: err}
	}
	rot, err := a.Commit()
	if err != nil {
		return nil, fmt.Errorf("machine %q at %s: %w: %w", m.Name, dr.Addr, ErrNotRecorded, err)
	}
	return rot, nil
}

// applyRequest is the delivery of a prepared rotation, pinned to the
// server certificate the host serves now.
func applyRequest(r ApplyRequest, a *store.Applying) (deliver.Request, error) {
	m := a.Machine
	old, err := m.ServerCert()
	if err != nil {
		return deliver.Request{}, err
	}
	pin, err := PinFor(r.Store, m, old)
	if err != nil {
		return deliver.Request{}, err
	}
	if pin.Next, err = clientCert(a.Client); err != nil {
		return deliver.Request{}, err
	}
	key, err := a.Server.KeyPEM()
	if err != nil {
		return deliver.Request{}, err
	}
	dr := deliver.Request{
		Addr:     net.JoinHostPort(m.Spec.Address(), strconv.Itoa(m.Spec.Port)),
		Pin:      pin,
		Delivery: generator.Delivery{ID: NewID(), CACert: a.Trust, ServerCert: a.Server.CertPEM(), ServerKey: key},
		New:      a.Server.Cert,
		SpoolDir: r.SpoolDir,
		Force:    r.Force,
		Progress: r.Progress,
	}
	if r.Tamper != nil {
		err = r.Tamper(&dr)
	}
	return dr, err
}
