package engine_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/internal/engine"
)

// testRoundTrip: an image from an empty archive, a container never
// started that bind-mounts a directory, a file copied in lands in that
// directory and reads back the same; then both are removed.
func testRoundTrip(ctx context.Context, t *testing.T, c *engine.Client) {
	const repo, tag = "dockbake-test/round-trip", "1"
	if err := c.ImageImport(ctx, repo, tag, emptyTar()); err != nil {
		t.Fatal(err)
	}
	if id, err := c.ImageInspect(ctx, repo+":"+tag); err != nil || !strings.HasPrefix(id, "sha256:") {
		t.Fatalf("inspect = %q, %v; want the imported image's ID", id, err)
	}
	dir := t.TempDir()
	id, err := c.ContainerCreate(ctx, engine.ContainerConfig{Image: repo + ":" + tag, Cmd: []string{"/nonexistent"},
		Labels: map[string]string{"dockbake.test": "1"}, Binds: []engine.Bind{{Source: dir, Target: "/spool"}}})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := c.ContainerStatPath(ctx, id, "/spool"); err != nil || !st.Mode.IsDir() || st.Name != "spool" {
		t.Errorf("stat /spool = %+v, %v; want the directory", st, err)
	}
	if _, err := c.ContainerStatPath(ctx, id, "/spool/missing"); !engine.IsNotFound(err) {
		t.Errorf("stat of a missing path: %v, want not found", err)
	}
	name := "a b&c?=%2F#.pem" // each a character a query or a path must escape
	data := []byte("delivered bytes\n")
	if err := c.CopyToContainer(ctx, id, "/spool", tarOf(t, name, 0o600, data)); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("on the host: %v, %v; want the file, 0600", fi, err)
	}
	if st, err := c.ContainerStatPath(ctx, id, "/spool/"+name); err != nil || st.Size != int64(len(data)) {
		t.Errorf("stat = %+v, %v; want %d bytes", st, err, len(data))
	}
	rc, err := c.CopyFromContainer(ctx, id, "/spool/"+name)
	if err != nil {
		t.Fatal(err)
	}
	got, back := readOne(t, rc)
	rc.Close()
	if got != name || !bytes.Equal(back, data) {
		t.Errorf("read back %q: %q, want %q: %q", got, back, name, data)
	}
	if _, err := c.CopyFromContainer(ctx, id, "/spool/missing"); !engine.IsNotFound(err) {
		t.Errorf("copy of a missing path: %v, want not found", err)
	}
	removeBoth(ctx, t, c, id, repo+":"+tag)
}

// removeBoth removes the container and the image, and checks that a
// second removal finds nothing.
func removeBoth(ctx context.Context, t *testing.T, c *engine.Client, id, ref string) {
	if err := c.ImageRemove(ctx, ref); err == nil || engine.IsNotFound(err) {
		t.Errorf("removing an image in use: %v, want the daemon's conflict", err)
	}
	if err := c.ContainerRemove(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := c.ContainerRemove(ctx, id); !engine.IsNotFound(err) {
		t.Errorf("second container removal: %v, want not found", err)
	}
	if err := c.ImageRemove(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ImageInspect(ctx, ref); !engine.IsNotFound(err) {
		t.Errorf("inspect after removal: %v, want not found", err)
	}
}

// testMessages: what the daemon says becomes the error's text.
func testMessages(ctx context.Context, t *testing.T, c *engine.Client) {
	const ref = "dockbake-test/messages:1"
	if err := c.ImageImport(ctx, "dockbake-test/messages", "1", emptyTar()); err != nil {
		t.Fatal(err)
	}
	defer c.ImageRemove(ctx, ref)
	_, err := c.ContainerCreate(ctx, engine.ContainerConfig{Image: ref})
	var e *engine.Error
	if !errors.As(err, &e) || e.StatusCode != 400 || !strings.Contains(strings.ToLower(err.Error()), "no command specified") {
		t.Errorf("create without a command: %v, want the daemon's 400 and message", err)
	}
	missing := filepath.Join(t.TempDir(), "missing")
	_, err = c.ContainerCreate(ctx, engine.ContainerConfig{Image: ref, Cmd: []string{"/x"}, Binds: []engine.Bind{{Source: missing, Target: "/spool"}}})
	if err == nil || !strings.Contains(err.Error(), "bind source path does not exist") {
		t.Errorf("create with a missing bind source: %v, want the daemon's message", err)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("the missing bind source was created: %v", err)
	}
	err = c.ImageImport(ctx, "dockbake-test/messages", "2", bytes.NewReader([]byte("not an archive")))
	if err == nil {
		c.ImageRemove(ctx, "dockbake-test/messages:2")
		t.Errorf("importing a non-archive succeeded")
	} else {
		t.Logf("importing a non-archive: %v (%T)", err, err)
	}
}
