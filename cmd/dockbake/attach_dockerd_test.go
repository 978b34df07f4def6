package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/internal/testenv"
	"github.com/dockbake/dockbake/pki"
)

// fakeHost plays the host's part of the apply mechanism against a real
// dockerd that has no systemd to run it: it watches a spool directory
// (bind-mounted by the client's delivery container exactly as
// /var/lib/dockbake/spool is), and answers each whole delivery as told.
type fakeHost struct {
	t      *testing.T
	spool  string
	daemon *dockerd
	// answer decides the outcome of one delivery: "applied" swaps the
	// files in and restarts dockerd; "" never answers.
	answer func(id string) (outcome, reason string)
	stop   chan struct{}
}

func newFakeHost(t *testing.T, d *dockerd) *fakeHost {
	spool, err := os.MkdirTemp("", "dbs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(spool) })
	for _, dir := range []string{generator.SpoolIncoming, generator.SpoolStatus} {
		if err := os.MkdirAll(filepath.Join(spool, dir), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	h := &fakeHost{t: t, spool: spool, daemon: d, stop: make(chan struct{})}
	go h.watch()
	t.Cleanup(func() { close(h.stop) })
	return h
}

// watch answers each delivery whose manifest has arrived whole.
func (h *fakeHost) watch() {
	done := map[string]bool{}
	for {
		select {
		case <-h.stop:
			return
		case <-time.After(100 * time.Millisecond):
		}
		entries, _ := os.ReadDir(filepath.Join(h.spool, generator.SpoolIncoming))
		for _, e := range entries {
			dir := filepath.Join(h.spool, generator.SpoolIncoming, e.Name())
			m, err := os.ReadFile(filepath.Join(dir, generator.ManifestName))
			if err != nil || !bytes.HasSuffix(m, []byte("\nend\n")) || done[e.Name()] {
				continue
			}
			done[e.Name()] = true
			h.handle(e.Name(), dir)
		}
	}
}

func (h *fakeHost) handle(id, dir string) {
	outcome, reason := "", ""
	if h.answer != nil {
		outcome, reason = h.answer(id)
	}
	if outcome == "" {
		return
	}
	delivered := fingerprintOf(h.t, filepath.Join(dir, "server.pem"))
	served := h.servedFP()
	var log []string
	if outcome == "applied" {
		h.writeStatus(id, "applying", "", delivered, served, nil)
		h.swapIn(dir)
		served = delivered
	} else {
		log = []string{"host dockerd[1]: failed to create API server: x509: unsupported elliptic curve"}
		served = h.servedFP()
	}
	h.writeStatus(id, outcome, reason, delivered, served, log)
	os.RemoveAll(dir)
}

// servedFP is the fingerprint of dockerd's live server certificate.
func (h *fakeHost) servedFP() string { return fingerprintOf(h.t, h.daemon.flag("--tlscert")) }

// swapIn puts the delivered files where dockerd reads them and restarts it.
func (h *fakeHost) swapIn(dir string) {
	for name, flag := range map[string]string{"ca.pem": "--tlscacert", "server.pem": "--tlscert", "server-key.pem": "--tlskey"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			h.t.Error(err)
			return
		}
		os.WriteFile(h.daemon.flag(flag), b, 0o600)
	}
	h.daemon.restart(h.t)
}

func (h *fakeHost) writeStatus(id, outcome, reason, delivered, served string, log []string) {
	var b strings.Builder
	fmt.Fprintf(&b, "dockbake-status 1\nid %s\noutcome %s\nreason %s\ndelivered %s\nserved %s\ntime %s\n", id, outcome, reason, delivered, served, time.Now().UTC().Format(time.RFC3339))
	for _, l := range log {
		b.WriteString("log " + l + "\n")
	}
	tmp := filepath.Join(h.spool, generator.SpoolStatus, "."+id)
	os.WriteFile(tmp, []byte(b.String()), 0o600)
	os.Rename(tmp, filepath.Join(h.spool, generator.StatusPath(id)))
}

func fingerprintOf(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Error(err)
		return ""
	}
	c, err := pki.ParseCertificate(b)
	if err != nil {
		t.Error(err)
		return ""
	}
	return pki.Fingerprint(c)
}

// flag is the value of dockerd's flag name (--name=value).
func (d *dockerd) flag(name string) string {
	for _, a := range d.cmd.Args {
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	d.t.Fatalf("dockerd has no %s flag", name)
	return ""
}

// restart stops dockerd and starts it again with the same flags and data
// root, as systemctl restart does; live-restore keeps containers.
func (d *dockerd) restart(t *testing.T) {
	d.stop()
	unmountStale(t, d.flag("--data-root"))
	logf, err := os.OpenFile(d.log, os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Error(err)
		return
	}
	cmd := exec.Command(d.cmd.Path, d.cmd.Args[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Error(err)
		return
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(done) }()
	d.cmd, d.done = cmd, done
}

// unmountStale lazily unmounts what a stopped dockerd left mounted below
// its data root. A dockerd stopped while it served an archive request of
// the delivery container leaves the spool's bind mount in the mount
// namespace it ran in; on a host that is dockerd's own, torn down with
// the service, but here it is the test's, which the next dockerd shares.
func unmountStale(t *testing.T, dataRoot string) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Error(err)
		return
	}
	lines := strings.Split(string(b), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		f := strings.Fields(lines[i])
		if len(f) > 4 && strings.HasPrefix(f[4], dataRoot+"/") {
			syscall.Unmount(f[4], syscall.MNT_DETACH)
		}
	}
}

// unixDocker runs the docker CLI on dockerd's unix socket, past TLS: the
// test's own view of what the client left behind.
func (d *dockerd) unixDocker(t *testing.T, args ...string) string {
	t.Helper()
	var sock string
	for _, a := range d.cmd.Args {
		if v, ok := strings.CutPrefix(a, "unix://"); ok {
			sock = v
		}
	}
	if sock == "" {
		t.Fatalf("dockerd has no unix socket: %v", d.cmd.Args)
	}
	out, err := exec.Command("docker", append([]string{"-H", "unix://" + sock}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// leftBehind is what delivery containers and images the client left.
func (d *dockerd) leftBehind(t *testing.T) string {
	t.Helper()
	return strings.TrimSpace(d.unixDocker(t, "ps", "-aq", "--filter", "label=dockbake.delivery") + " " + d.unixDocker(t, "images", "-q", "dockbake/spool"))
}

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
// Docker API, with the host's part played by fakeHost; afterwards the
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
	daemon := dockerdFromUserData(t, []byte(ud))
	host := newFakeHost(t, daemon)
	attach := func(name string, extra ...string) (string, error) {
		args := append([]string{"attach", name, "--ip", "127.0.0.1", "--port", port, "--test-spool-dir", host.spool}, extra...)
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
		for _, spool := range []string{filepath.Join(host.spool, "missing"), filepath.Join(host.spool, generator.SpoolStatus)} {
			_, stderr, err := runDockbake(bin, store, "attach", "web1", "--ip", "127.0.0.1", "--port", port, "--test-spool-dir", spool)
			if err == nil || !strings.Contains(stderr, "has no apply mechanism") || !strings.Contains(stderr, "older dockbake or imported from Docker Machine") {
				t.Errorf("spool %s: %v\n%s", spool, err, stderr)
			}
		}
		if _, err := os.Stat(filepath.Join(host.spool, "missing")); !os.IsNotExist(err) {
			t.Error("the missing spool was created")
		}
		if record("web1") != before {
			t.Error("a refused attach changed the store")
		}
		if left := daemon.leftBehind(t); left != "" {
			t.Errorf("left behind: %s", left)
		}
	})
	t.Run("rolled back", func(t *testing.T) {
		before := record("web1")
		host.answer = func(string) (string, string) {
			return "rolled-back", "dockerd did not start with the delivered certificates"
		}
		stderr, err := attach("web1")
		if err == nil || !strings.Contains(stderr, "the host rolled-back the delivery: dockerd did not start with the delivered certificates") ||
			!strings.Contains(stderr, "unsupported elliptic curve") {
			t.Errorf("rolled back: %v\n%s", err, stderr)
		}
		if record("web1") != before {
			t.Error("a rolled-back attach changed the store")
		}
		// verify reads the host's reason back.
		out, stderr, err := runDockbake(bin, store, "verify", "web1", "--url", "tcp://127.0.0.1:"+port, "--test-spool-dir", host.spool)
		if err != nil || !strings.Contains(out, "rolled-back: dockerd did not start with the delivered certificates") ||
			!strings.Contains(out, "unsupported elliptic curve") || !strings.Contains(stderr, "runs its previous certificates") {
			t.Errorf("verify after a rollback: %v\n%s\n%s", err, out, stderr)
		}
		if left := daemon.leftBehind(t); left != "" {
			t.Errorf("left behind: %s", left)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		before := record("web1")
		host.answer = nil
		stderr, err := attach("web1", "--timeout", "3s")
		if err == nil || !strings.Contains(stderr, "timed out after 3s") {
			t.Errorf("timeout: %v\n%s", err, stderr)
		}
		if record("web1") != before {
			t.Error("a timed-out attach changed the store")
		}
		if left := daemon.leftBehind(t); left != "" {
			t.Errorf("left behind: %s", left)
		}
	})
	t.Run("interrupted, and a second attach meanwhile", func(t *testing.T) { attachInterrupted(t, bin, store, port, host, daemon, record) })
	t.Run("attached", func(t *testing.T) {
		host.answer = func(string) (string, string) { return "applied", "" }
		old := host.servedFP()
		stderr, err := attach("web1")
		if err != nil {
			t.Fatalf("attach: %v\n%s", err, stderr)
		}
		t.Logf("%s", stderr)
		if host.servedFP() == old {
			t.Error("the host serves the old certificate")
		}
		if !strings.Contains(record("web1"), `"attached": true`) {
			t.Error("the store does not record the machine as attached")
		}
		if left := daemon.leftBehind(t); left != "" {
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
func attachInterrupted(t *testing.T, bin, store, port string, host *fakeHost, daemon *dockerd, record func(string) string) {
	before := record("web1")
	arrived := make(chan string, 1)
	host.answer = func(id string) (string, string) { arrived <- id; return "", "" }
	cmd := exec.Command(bin, "--storage-path", store, "attach", "web1", "--ip", "127.0.0.1", "--port", port, "--test-spool-dir", host.spool)
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
	_, second, err := runDockbake(bin, store, "attach", "web1", "--ip", "127.0.0.1", "--port", port, "--test-spool-dir", host.spool)
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
	if left := daemon.leftBehind(t); left != "" {
		t.Errorf("left behind: %s", left)
	}
}
