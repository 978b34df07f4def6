package boottest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// bootMode is one way Docker gets onto the machine.
type bootMode struct {
	name        string
	install     string   // dockbake create --install
	packages    []string // added to the image's BasePackages
	hostNetwork bool     // the guest's apt must reach the Debian mirror
}

var (
	installAtBoot = bootMode{name: "install-at-boot", install: "distro", hostNetwork: true}
	baked         = bootMode{name: "baked", install: "none", packages: DockerPackages}
)

// port returns the dockerd TLS port for a guest of mode: the standard one in
// a private network namespace, a free host port in the host's.
func (mode bootMode) port(t testing.TB) int {
	if mode.hostNetwork {
		return freePort(t)
	}
	return 2376
}

// testContext is canceled when t ends, and two minutes before t's deadline,
// so that cleanups still have time to tear guests down.
func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	if tt, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if d, ok := tt.Deadline(); ok {
			ctx, cancel = context.WithDeadline(context.Background(), d.Add(-2*time.Minute))
		}
	}
	t.Cleanup(cancel)
	return ctx
}

// buildImage returns the cached image for mode, building it if needed.
func buildImage(t testing.TB, ctx context.Context, mode bootMode) *Image {
	t.Helper()
	img, err := BuildImage(ctx, ImageOptions{Packages: mode.packages, Log: logWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// bootGuest boots img with userData and registers the teardown: on failure
// it logs the guest's evidence and keeps the run directory.
func bootGuest(t testing.TB, ctx context.Context, img *Image, mode bootMode, userData []byte) *Guest {
	t.Helper()
	g, err := Boot(ctx, img, BootOptions{UserData: userData, HostNetwork: mode.hostNetwork})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			g.Keep = true
			ectx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			t.Log(g.Evidence(ectx))
			cancel()
		}
		if err := g.Close(); err != nil {
			t.Errorf("teardown: %v", err)
		}
		if g.Keep {
			t.Logf("run directory kept: %s", g.RunDir)
		}
	})
	return g
}

// tlsGrace is how long dockerd may take to answer over TLS once cloud-init
// has finished: a daemon that failed to start does not get better.
const tlsGrace = 60 * time.Second

// waitTLS polls `docker version` through `dockbake env` until the guest's
// dockerd answers over TLS, and returns the time since the guest started.
// It gives up early when nspawn exits or tlsGrace after cloud-init finished.
func waitTLS(ctx context.Context, g *Guest, m *machine) (time.Duration, error) {
	resultJSON := filepath.Join(g.Root, "var/lib/cloud/data/result.json")
	var finished time.Time
	for {
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		_, err := m.shell(cctx, g, "docker version >/dev/null")
		cancel()
		if err == nil {
			return time.Since(g.Started), nil
		}
		if _, serr := os.Stat(resultJSON); serr == nil && finished.IsZero() {
			finished = time.Now()
		}
		if !finished.IsZero() && time.Since(finished) > tlsGrace {
			return 0, fmt.Errorf("cloud-init finished %s ago, but dockerd does not answer over TLS: %w", tlsGrace, err)
		}
		select {
		case <-g.Exited():
			return 0, fmt.Errorf("guest %s halted before dockerd answered over TLS: %w", g.Name, err)
		case <-ctx.Done():
			return 0, fmt.Errorf("dockerd never answered over TLS: %w; last attempt: %w", ctx.Err(), err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// logWriter sends each line written to it to t.Log.
type logWriter struct{ t testing.TB }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
