package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/internal/dockerdtest"
	"github.com/dockbake/dockbake/internal/testenv"
)

// runDockbake runs the built binary and returns its output and error.
func runDockbake(bin, store string, args ...string) (stdout, stderr string, err error) {
	cmd := exec.Command(bin, append([]string{"--storage-path", store}, args...)...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

// TestAttachRealDockerd is attach's end-to-end proof for the API half: a
// machine created without an address (--attach-only: the store keeps no
// server key) is refused by env, then attached to
// a real dockerd (configured only by what dockbake rendered) through the
// Docker API, with the host's part played by dockerdtest.Host; afterwards the
// docker CLI works through dockbake env, and nothing is left behind. The
// faults leave the store as it was.
func TestAttachRealDockerd(t *testing.T) {
	testenv.Root(t, "dockerd runs as root")
	testenv.LookPath(t, "dockerd", "apt-get install docker.io")
	testenv.LookPath(t, "docker", "apt-get install docker.io")
	bin := buildDockbake(t)
	store := filepath.Join(t.TempDir(), "store")
	port := strconv.Itoa(freePort(t))
	// web1's first server key is a throwaway that only the user-data holds.
	ud, _, err := runDockbake(bin, store, "create", "web1", "--attach-only", "--port", port, "--os", "debian-12", "--install", "none")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := runDockbake(bin, store, "create", "other", "--port", port); err != nil {
		t.Fatal(err)
	}
	daemon := dockerdtest.FromUserData(t, []byte(ud))
	host := dockerdtest.NewHost(t, daemon)
	attach := func(name string, extra ...string) (string, error) {
		args := append([]string{"attach", name, "--ip", "127.0.0.1", "--port", port, "--test-spool-dir", host.Spool}, extra...)
		_, stderr, err := runDockbake(bin, store, args...)
		return stderr, err
	}
	record := func(name string) string {
		out, _, err := runDockbake(bin, store, "inspect", name)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	if _, stderr, err := runDockbake(bin, store, "env", "web1"); err == nil || !strings.Contains(stderr, "dockbake attach web1 --ip ADDRESS") {
		t.Errorf("env of an unattached machine: %v\n%s", err, stderr)
	}
	t.Run("another machine's host", func(t *testing.T) {
		before := record("other")
		stderr, err := attach("other")
		if err == nil || !strings.Contains(stderr, `presents the server certificate of machine "web1"`) {
			t.Errorf("attach other to web1's host: %v\n%s", err, stderr)
		}
		if record("other") != before {
			t.Error("a refused attach changed the store")
		}
	})
	t.Run("no mechanism", func(t *testing.T) {
		before := record("web1")
		for _, spool := range []string{filepath.Join(host.Spool, "missing"), filepath.Join(host.Spool, generator.SpoolStatus)} {
			_, stderr, err := runDockbake(bin, store, "attach", "web1", "--ip", "127.0.0.1", "--port", port, "--test-spool-dir", spool)
			if err == nil || !strings.Contains(stderr, "has no apply mechanism") || !strings.Contains(stderr, "older dockbake or imported from Docker Machine") {
				t.Errorf("spool %s: %v\n%s", spool, err, stderr)
			}
		}
		if _, err := os.Stat(filepath.Join(host.Spool, "missing")); !os.IsNotExist(err) {
			t.Error("the missing spool was created")
		}
		if record("web1") != before {
			t.Error("a refused attach changed the store")
		}
		if left := daemon.LeftBehind(t); left != "" {
			t.Errorf("left behind: %s", left)
		}
	})
	t.Run("rolled back", func(t *testing.T) {
		before := record("web1")
		host.Answer(func(string) (string, string) {
			return "rolled-back", "dockerd did not start with the delivered certificates"
		})
		stderr, err := attach("web1")
		if err == nil || !strings.Contains(stderr, "the host rolled-back the delivery: dockerd did not start with the delivered certificates") ||
			!strings.Contains(stderr, "unsupported elliptic curve") {
			t.Errorf("rolled back: %v\n%s", err, stderr)
		}
		if record("web1") != before {
			t.Error("a rolled-back attach changed the store")
		}
		// verify reads the host's reason back.
		out, stderr, err := runDockbake(bin, store, "verify", "web1", "--url", "tcp://127.0.0.1:"+port, "--test-spool-dir", host.Spool)
		if err != nil || !strings.Contains(out, "rolled-back: dockerd did not start with the delivered certificates") ||
			!strings.Contains(out, "unsupported elliptic curve") || !strings.Contains(stderr, "runs its previous certificates") {
			t.Errorf("verify after a rollback: %v\n%s\n%s", err, out, stderr)
		}
		if left := daemon.LeftBehind(t); left != "" {
			t.Errorf("left behind: %s", left)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		before := record("web1")
		host.Answer(func(string) (string, string) { return "", "" }) // never answers
		stderr, err := attach("web1", "--timeout", "3s")
		if err == nil || !strings.Contains(stderr, "timed out after 3s") {
			t.Errorf("timeout: %v\n%s", err, stderr)
		}
		if record("web1") != before {
			t.Error("a timed-out attach changed the store")
		}
		if left := daemon.LeftBehind(t); left != "" {
			t.Errorf("left behind: %s", left)
		}
	})
	t.Run("interrupted, and a second attach meanwhile", func(t *testing.T) { attachInterrupted(t, bin, store, port, host, daemon, record) })
	t.Run("attached", func(t *testing.T) {
		host.Answer(nil) // the default: applied
		old := host.Served()
		stderr, err := attach("web1")
		if err != nil {
			t.Fatalf("attach: %v\n%s", err, stderr)
		}
		t.Logf("%s", stderr)
		if host.Served() == old {
			t.Error("the host serves the old certificate")
		}
		if !strings.Contains(record("web1"), `"attached": true`) {
			t.Error("the store does not record the machine as attached")
		}
		if left := daemon.LeftBehind(t); left != "" {
			t.Errorf("left behind: %s", left)
		}
		script := `eval "$("$DOCKBAKE" --storage-path "$STORE" env web1 --shell bash)" && docker ps`
		cmd := exec.Command("bash", "-c", script)
		cmd.Env = append(os.Environ(), "DOCKBAKE="+bin, "STORE="+store, "DOCKER_CONTEXT=", "DOCKER_CONFIG="+t.TempDir())
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("docker ps after attach: %v\n%s", err, out)
		}
		// Attaching again (say, the address changed) works the same way.
		if stderr, err := attach("web1"); err != nil {
			t.Errorf("attach again: %v\n%s", err, stderr)
		}
	})
	t.Run("regenerate-certs --apply, and a CA rotation in two steps", func(t *testing.T) { applyRotations(t, bin, store, port, host) })
}

// attachInterrupted: an attach cut short by SIGINT (Ctrl-C) while it
// waits for the host removes its container and image and leaves the store
// as it was; a second attach while the first runs is refused.
func attachInterrupted(t *testing.T, bin, store, port string, host *dockerdtest.Host, daemon *dockerdtest.Daemon, record func(string) string) {
	before := record("web1")
	arrived := make(chan string, 1)
	host.Answer(func(id string) (string, string) { arrived <- id; return "", "" })
	cmd := exec.Command(bin, "--storage-path", store, "attach", "web1", "--ip", "127.0.0.1", "--port", port, "--test-spool-dir", host.Spool)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-arrived:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("no delivery arrived:\n%s", stderr.String())
	}
	_, second, err := runDockbake(bin, store, "attach", "web1", "--ip", "127.0.0.1", "--port", port, "--test-spool-dir", host.Spool)
	if err == nil || !strings.Contains(second, "another attach of this machine is under way") {
		t.Errorf("a second attach meanwhile: %v\n%s", err, second)
	}
	cmd.Process.Signal(os.Interrupt)
	err = cmd.Wait()
	if err == nil || !strings.Contains(stderr.String(), "interrupted; the store is unchanged") {
		t.Errorf("interrupted attach: %v\n%s", err, stderr.String())
	}
	if record("web1") != before {
		t.Error("an interrupted attach changed the store")
	}
	if left := daemon.LeftBehind(t); left != "" {
		t.Errorf("left behind: %s", left)
	}
}
