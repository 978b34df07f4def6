package attach

import (
	"context"
	"fmt"

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
// server certificate the host serves now, at its recorded address.
func applyRequest(r ApplyRequest, a *store.Applying) (deliver.Request, error) {
	return shipment{
		m: a.Machine, spec: a.Machine.Spec, trust: a.Trust, server: a.Server, next: a.Client,
		spool: r.SpoolDir, force: r.Force, progress: r.Progress, tamper: r.Tamper,
	}.request(r.Store)
}
