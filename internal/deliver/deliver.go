package deliver

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/internal/engine"
)

// Image is the image of the delivery containers. A host without it gets
// one made from an empty archive: no registry is needed.
const Image = imageRepo + ":" + imageTag

// imageRepo and imageTag are Image's parts, as an import names them.
const (
	imageRepo = "dockbake/spool"
	imageTag  = "1"
)

// mountPoint is where the spool appears in the delivery container.
const mountPoint = "/spool"

// DefaultTimeout bounds a whole delivery: the apply script's own bounds
// add up to about seven minutes in the worst case (a rollback).
const DefaultTimeout = 8 * time.Minute

// ErrNoMechanism is a host without the apply mechanism: set up by an older
// dockbake, or imported from Docker Machine.
var ErrNoMechanism = errors.New("the host has no apply mechanism (no spool at " + generator.HostSpoolDir + ")")

// ErrRestarts is a host whose containers would stop with dockerd's
// restart: live-restore is off, or it is a swarm node.
var ErrRestarts = errors.New("its containers would restart with dockerd")

// OutcomeError is a delivery the host did not apply: rejected, rolled
// back or failed. Status holds the host's reason and dockerd's log.
type OutcomeError struct {
	Status generator.Status
}

// Error names the outcome and the host's reason.
func (e *OutcomeError) Error() string {
	return fmt.Sprintf("the host %s the delivery: %s", e.Status.Outcome, e.Status.Reason)
}

// Request is one delivery to one host.
type Request struct {
	// Addr is host:port of the host's Docker API.
	Addr string
	// Pin is what the host is trusted by before the delivery.
	Pin Pin
	// Delivery is what is delivered; its ServerCert is trusted as well
	// once dockerd restarts with it.
	Delivery generator.Delivery
	// New is the delivered server certificate, parsed.
	New *x509.Certificate
	// SpoolDir is the bind-mount source on the host; empty:
	// generator.HostSpoolDir. Tests point it at a scratch directory.
	SpoolDir string
	// Force delivers although containers would restart.
	Force bool
	// Poll is how often the outcome is read; zero: a second.
	Poll time.Duration
	// Progress, if set, is told each step.
	Progress func(format string, args ...any)
}

// Deliver writes r's delivery into the host's spool, waits for its outcome
// and for the host to serve the new certificate, and removes what it
// made, also when ctx is cancelled. It returns the host's status; the
// error is an *OutcomeError when the host did not apply it.
func Deliver(ctx context.Context, r Request) (generator.Status, error) {
	if r.SpoolDir == "" {
		r.SpoolDir = generator.HostSpoolDir
	}
	if r.Poll == 0 {
		r.Poll = time.Second
	}
	archive, err := r.Delivery.Archive()
	if err != nil {
		return generator.Status{}, err
	}
	both := r.Pin
	both.Servers = append(append([]*x509.Certificate{}, r.Pin.Servers...), r.New)
	cli := dial(r.Addr, both)
	defer cli.Close()
	if err := checkHost(ctx, cli, r); err != nil {
		return generator.Status{}, err
	}
	s, err := run(ctx, cli, r, archive)
	if err != nil {
		return s, err
	}
	if s.Outcome != generator.OutcomeApplied {
		return s, &OutcomeError{Status: s}
	}
	return s, waitServed(ctx, r)
}

// dial makes a Docker API client for addr trusting pin only; it
// negotiates the API version on its first call.
func dial(addr string, pin Pin) *engine.Client {
	return engine.New(addr, pin.TLSConfig(addr))
}

// checkHost reads /info first: it proves the pin and the client
// certificate, and tells whether containers survive the restart.
func checkHost(ctx context.Context, cli *engine.Client, r Request) error {
	// A plain dial first: the API client's "cannot connect" hides why.
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", r.Addr)
	if err != nil {
		return fmt.Errorf("the host is not reachable: %w", err)
	}
	conn.Close()
	info, err := cli.Info(ctx)
	if err != nil {
		var pe *PinError
		if errors.As(err, &pe) {
			return pe
		}
		return err
	}
	if r.Force {
		return nil
	}
	if st := info.Swarm.LocalNodeState; st != "inactive" && st != "" {
		return fmt.Errorf("%w: it is a swarm node (%s)", ErrRestarts, st)
	}
	if !info.LiveRestoreEnabled {
		return fmt.Errorf("%w: live-restore is off", ErrRestarts)
	}
	return nil
}

// run makes the container, writes the archive and reads the outcome back;
// it removes the container and an image it made in every case.
func run(ctx context.Context, cli *engine.Client, r Request, archive []byte) (generator.Status, error) {
	made, err := ensureImage(ctx, cli)
	if err != nil {
		return generator.Status{}, fmt.Errorf("making the image %s: %w", Image, err)
	}
	defer cleanupImage(cli, r, made)
	id, err := createContainer(ctx, cli, r.SpoolDir)
	if err != nil {
		return generator.Status{}, err
	}
	defer cleanupContainer(cli, r, id)
	if _, err := cli.ContainerStatPath(ctx, id, mountPoint+"/"+generator.SpoolIncoming); err != nil {
		if engine.IsNotFound(err) {
			return generator.Status{}, fmt.Errorf("%w: %s does not run", ErrNoMechanism, generator.ApplyPathUnit)
		}
		return generator.Status{}, err
	}
	r.progress("delivering %s", r.Delivery.ID)
	if err := cli.CopyToContainer(ctx, id, mountPoint, bytes.NewReader(archive)); err != nil {
		return generator.Status{}, fmt.Errorf("writing the delivery: %w", err)
	}
	return waitStatus(ctx, cli, r, id)
}

func (r Request) progress(format string, args ...any) {
	if r.Progress != nil {
		r.Progress(format, args...)
	}
}

// ensureImage makes Image from an empty archive unless the host has it,
// and reports whether it made it.
func ensureImage(ctx context.Context, cli *engine.Client) (bool, error) {
	if _, err := cli.ImageInspect(ctx, Image); err == nil {
		return false, nil
	} else if !engine.IsNotFound(err) {
		return false, err
	}
	var empty bytes.Buffer
	tar.NewWriter(&empty).Close()
	if err := cli.ImageImport(ctx, imageRepo, imageTag, &empty); err != nil {
		return false, err
	}
	return true, nil
}

// createContainer creates, never starts, a container bind-mounting the
// spool. Mounts, unlike Binds, refuses a missing source, so nothing is
// written on a host without the mechanism.
func createContainer(ctx context.Context, cli *engine.Client, spool string) (string, error) {
	id, err := cli.ContainerCreate(ctx, engine.ContainerConfig{
		Image: Image, Cmd: []string{"/nonexistent"}, Labels: map[string]string{"dockbake.delivery": "1"},
		Binds: []engine.Bind{{Source: spool, Target: mountPoint}},
	})
	if err != nil {
		if strings.Contains(err.Error(), "bind source path does not exist") {
			return "", fmt.Errorf("%w: %v", ErrNoMechanism, err)
		}
		return "", fmt.Errorf("creating the delivery container: %w", err)
	}
	return id, nil
}

// cleanupTimeout bounds the clean-up, which runs on a context of its own:
// a cancelled delivery still removes what it made.
const cleanupTimeout = 30 * time.Second

// cleanupContainer removes the delivery container, retrying while
// dockerd restarts; what it cannot remove it reports.
func cleanupContainer(cli *engine.Client, r Request, id string) {
	err := retry(func(ctx context.Context) error {
		return cli.ContainerRemove(ctx, id)
	})
	if err != nil {
		r.progress("warning: the delivery container %.12s is still on the host (%v): docker rm %.12s removes it", id, err, id)
	}
}

// cleanupImage removes Image if this delivery made it.
func cleanupImage(cli *engine.Client, r Request, made bool) {
	if !made {
		return
	}
	err := retry(func(ctx context.Context) error {
		return cli.ImageRemove(ctx, Image)
	})
	if err != nil {
		r.progress("warning: the image %s is still on the host (%v): docker rmi %s removes it", Image, err, Image)
	}
}

// retry runs f until it succeeds or finds nothing to remove, for at most
// cleanupTimeout.
func retry(f func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	for {
		err := f(ctx)
		if err == nil || engine.IsNotFound(err) {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Second):
		}
	}
}
