package deliver

import (
	"archive/tar"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/internal/engine"
)

// waitStatus reads the outcome through the container until it is final.
// Reads fail while dockerd restarts; they are retried until ctx ends.
func waitStatus(ctx context.Context, cli *engine.Client, r Request, id string) (generator.Status, error) {
	path := mountPoint + "/" + generator.StatusPath(r.Delivery.ID)
	var last error
	var seen generator.Outcome
	for {
		s, err := readStatus(ctx, cli, id, path)
		if err == nil && s.Outcome != seen {
			seen = s.Outcome
			r.progress("the host says: %s", s.Outcome)
		}
		if err == nil && s.Final() {
			return s, nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			return generator.Status{}, fmt.Errorf("no outcome for delivery %s: %w (last: %v)", r.Delivery.ID, ctx.Err(), last)
		case <-time.After(r.Poll):
		}
	}
}

// readStatus reads one status file through the container.
func readStatus(ctx context.Context, cli *engine.Client, id, path string) (generator.Status, error) {
	content, err := cli.CopyFromContainer(ctx, id, path)
	if err != nil {
		return generator.Status{}, err
	}
	defer content.Close()
	tr := tar.NewReader(content)
	if _, err := tr.Next(); err != nil {
		return generator.Status{}, err
	}
	data, err := io.ReadAll(io.LimitReader(tr, 1<<20))
	if err != nil {
		return generator.Status{}, err
	}
	return generator.ParseStatus(data)
}

// waitServed polls TLS handshakes with the new certificate alone until
// the host serves it.
func waitServed(ctx context.Context, r Request) error {
	p := r.Pin
	p.Servers = []*x509.Certificate{r.New}
	if p.Next != nil {
		p.Client, p.Next = *p.Next, nil
	}
	var last error
	for {
		last = p.Handshake(ctx, r.Addr, 5*time.Second)
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the host applied the delivery but does not serve its certificate: %w", errors.Join(ctx.Err(), last))
		case <-time.After(r.Poll):
		}
	}
}
