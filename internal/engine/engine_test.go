package engine_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dockbake/dockbake/internal/engine"
)

// TestEngine runs every call against one real dockerd with mutual TLS.
func TestEngine(t *testing.T) {
	d := startDaemon(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := engine.New(d.addr, d.client)
	defer c.Close()
	t.Run("version", func(t *testing.T) { testVersion(ctx, t, d) })
	t.Run("too old", func(t *testing.T) { testTooOld(ctx, t, d) })
	t.Run("info", func(t *testing.T) {
		info, err := c.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !info.LiveRestoreEnabled || info.Swarm.LocalNodeState != "inactive" {
			t.Errorf("info = %+v, want live-restore on and swarm inactive (dockerd runs with --live-restore)", info)
		}
	})
	t.Run("missing image", func(t *testing.T) {
		_, err := c.ImageInspect(ctx, "dockbake-test/missing:1")
		if !engine.IsNotFound(err) || !strings.Contains(err.Error(), "dockbake-test/missing:1") {
			t.Errorf("got %v, want not found, naming the image", err)
		}
	})
	t.Run("round trip", func(t *testing.T) { testRoundTrip(ctx, t, c) })
	t.Run("daemon messages", func(t *testing.T) { testMessages(ctx, t, c) })
	t.Run("pin error", func(t *testing.T) { testPinError(ctx, t, d) })
}

// The client uses min(daemon's version, MaxVersion) on every request but
// the ping, as the daemon reports it.
func testVersion(ctx context.Context, t *testing.T, d *daemon) {
	resp, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: d.client}}).Get("https://" + d.addr + "/_ping")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	server := resp.Header.Get("Api-Version")
	want := server
	if newer(server, engine.MaxVersion) {
		want = engine.MaxVersion
	}
	rec := d.proxy(t, "")
	c := engine.New(rec.addr, d.client)
	defer c.Close()
	if _, err := c.Info(ctx); err != nil {
		t.Fatal(err)
	}
	c.ImageInspect(ctx, "dockbake-test/missing:1")
	got, err := c.Version(ctx)
	if err != nil || got != want {
		t.Errorf("Version = %q, %v; the daemon reports %s, want %s", got, err, server, want)
	}
	paths := rec.seen()
	if len(paths) != 3 || paths[0] != "/_ping" {
		t.Fatalf("requests %q, want one /_ping, then /info and the image", paths)
	}
	for _, p := range paths[1:] {
		if !strings.HasPrefix(p, "/v"+want+"/") {
			t.Errorf("request %s, want the prefix /v%s", p, want)
		}
	}
}

// newer reports whether API version a is newer than b.
func newer(a, b string) bool {
	am, an, _ := strings.Cut(a, ".")
	bm, bn, _ := strings.Cut(b, ".")
	if len(am) != len(bm) || am != bm {
		return len(am) > len(bm) || len(am) == len(bm) && am > bm
	}
	return len(an) > len(bn) || len(an) == len(bn) && an > bn
}

// A daemon reporting an API older than MinVersion is refused by name, and
// nothing but the ping is sent.
func testTooOld(ctx context.Context, t *testing.T, d *daemon) {
	rec := d.proxy(t, "1.38")
	c := engine.New(rec.addr, d.client)
	defer c.Close()
	_, err := c.Info(ctx)
	if err == nil || !strings.Contains(err.Error(), "API 1.38, older than "+engine.MinVersion) {
		t.Errorf("got %v, want the old version named", err)
	}
	if paths := rec.seen(); len(paths) != 1 {
		t.Errorf("requests %q, want the ping only", paths)
	}
}

// testPinError: an error of the caller's TLS verification is found
// through the client's wrapping.
func testPinError(ctx context.Context, t *testing.T, d *daemon) {
	cfg := d.client.Clone()
	cfg.VerifyConnection = func(tls.ConnectionState) error { return &pinError{} }
	c := engine.New(d.addr, cfg)
	defer c.Close()
	_, err := c.Info(ctx)
	var pe *pinError
	if !errors.As(err, &pe) {
		t.Errorf("got %v (%T), want the verification's own error", err, err)
	}
}

type pinError struct{}

func (*pinError) Error() string { return "not the pinned certificate" }

// emptyTar is an archive of no files, a root file system for an image.
func emptyTar() *bytes.Buffer {
	var b bytes.Buffer
	tar.NewWriter(&b).Close()
	return &b
}

// tarOf is an archive of one file.
func tarOf(t *testing.T, name string, mode int64, data []byte) *bytes.Buffer {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(data)), Typeflag: tar.TypeReg, ModTime: time.Now()}); err != nil {
		t.Fatal(err)
	}
	tw.Write(data)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return &b
}

// readOne is the name and content of the only file of a tar stream.
func readOne(t *testing.T, r io.Reader) (string, []byte) {
	t.Helper()
	tr := tar.NewReader(r)
	h, err := tr.Next()
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(tr)
	if err != nil {
		t.Fatal(err)
	}
	if h2, err := tr.Next(); err != io.EOF {
		t.Errorf("a second entry %v, %v", h2, err)
	}
	return h.Name, data
}
