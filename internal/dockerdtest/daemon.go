package dockerdtest

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dockbake/dockbake/internal/testenv"
)

// Daemon is a real dockerd on loopback, sandboxed so that it does not touch
// the host's Docker: its own data and exec roots, no iptables, no bridge.
type Daemon struct {
	// Addr is its first TCP listener, 127.0.0.1:PORT.
	Addr string
	t    *testing.T
	log  string
	// mu guards cmd and done, which Restart replaces, perhaps from a
	// Host's goroutine.
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Start starts dockerd with flags (its listeners and TLS) and waits until
// its first TCP listener accepts connections. It needs root and dockerd
// (skip, or fail in CI).
func Start(t *testing.T, flags ...string) *Daemon {
	t.Helper()
	testenv.Root(t, "dockerd runs as root")
	bin := testenv.LookPath(t, "dockerd", "apt-get install docker.io")
	d := &Daemon{t: t}
	for _, f := range flags {
		if v, ok := strings.CutPrefix(f, "tcp://"); ok && d.Addr == "" {
			d.Addr = v
		}
	}
	if d.Addr == "" {
		t.Fatalf("dockerd flags name no TCP listener: %v", flags)
	}
	// Short: unix socket paths under the exec root are limited to 108 bytes.
	root, err := os.MkdirTemp("", "dbv")
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--data-root=" + root + "/data", "--exec-root=" + root + "/x", "--pidfile=" + root + "/pid",
		"--iptables=false", "--bridge=none", "--storage-driver=vfs"}, flags...)
	d.log = filepath.Join(root, "dockerd.log")
	if err := d.start(bin, args); err != nil {
		os.RemoveAll(root)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.Stop()
		// The containerd that dockerd started is in its process group; a
		// dockerd that died early may have left it behind.
		syscall.Kill(-d.process().Pid, syscall.SIGKILL)
		if t.Failed() {
			b, _ := os.ReadFile(d.log)
			t.Logf("dockerd %s\n%s", strings.Join(flags, " "), lastLines(string(b), 30))
		}
		// dockerd bind-mounts its data root onto itself; one that died
		// during start leaves the mount behind.
		syscall.Unmount(root+"/data", syscall.MNT_DETACH)
		os.RemoveAll(root)
	})
	d.wait()
	return d
}

// start runs bin with args in a process group of its own, its output
// appended to the log.
func (d *Daemon) start(bin string, args []string) error {
	logf, err := os.OpenFile(d.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(done) }()
	d.mu.Lock()
	d.cmd, d.done = cmd, done
	d.mu.Unlock()
	return nil
}

func (d *Daemon) process() *os.Process {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cmd.Process
}

func (d *Daemon) exited() chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.done
}

// args is dockerd's command line, without the program.
func (d *Daemon) args() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cmd.Args[1:]
}

// wait waits until dockerd listens, a minute at most.
func (d *Daemon) wait() {
	d.t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if conn, err := net.DialTimeout("tcp", d.Addr, time.Second); err == nil {
			conn.Close()
			return
		}
		select {
		case <-d.exited():
			b, _ := os.ReadFile(d.log)
			d.t.Fatalf("dockerd exited:\n%s", lastLines(string(b), 30))
		default:
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("dockerd did not listen on %s within a minute", d.Addr)
		}
	}
}

// Flag is the value of dockerd's flag name (--name=value); a flag it was
// not started with fails the test. Call it from the test's goroutine.
func (d *Daemon) Flag(name string) string {
	d.t.Helper()
	v, ok := d.flag(name)
	if !ok {
		d.t.Fatalf("dockerd has no %s flag", name)
	}
	return v
}

func (d *Daemon) flag(name string) (string, bool) {
	for _, a := range d.args() {
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// Restart stops dockerd and starts it again with the same flags and data
// root, as systemctl restart does: with --live-restore its containers
// keep running. It does not wait for the new dockerd to listen. A failure
// is reported with t.Error, so a Host's goroutine may call it.
func (d *Daemon) Restart() {
	d.Stop()
	root, _ := d.flag("--data-root")
	unmountStale(d.t, root)
	d.mu.Lock()
	bin, args := d.cmd.Path, d.cmd.Args[1:]
	d.mu.Unlock()
	if err := d.start(bin, args); err != nil {
		d.t.Errorf("restarting dockerd: %v", err)
	}
}

// Stop ends dockerd and waits for it; it is safe to call twice.
func (d *Daemon) Stop() {
	done := d.exited()
	select {
	case <-done:
		return
	default:
	}
	p := d.process()
	p.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		syscall.Kill(-p.Pid, syscall.SIGKILL)
		<-done
	}
}

// HandshakeErrors counts the TLS handshakes dockerd has refused so far.
func (d *Daemon) HandshakeErrors(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile(d.log)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte("TLS handshake error"))
}

// Docker runs the docker CLI on dockerd's unix socket, past TLS: the
// test's own view of the daemon. dockerd must have a unix listener.
func (d *Daemon) Docker(t *testing.T, args ...string) string {
	t.Helper()
	var sock string
	for _, a := range d.args() {
		if v, ok := strings.CutPrefix(a, "unix://"); ok {
			sock = v
		}
	}
	if sock == "" {
		t.Fatalf("dockerd has no unix socket: %v", d.args())
	}
	docker := testenv.LookPath(t, "docker", "apt-get install docker.io")
	out, err := exec.Command(docker, append([]string{"-H", "unix://" + sock}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// LeftBehind is what delivery containers and images a client left on the
// daemon: empty when it cleaned up.
func (d *Daemon) LeftBehind(t *testing.T) string {
	t.Helper()
	return strings.TrimSpace(d.Docker(t, "ps", "-aq", "--filter", "label=dockbake.delivery") + " " + d.Docker(t, "images", "-q", "dockbake/spool"))
}

// unmountStale lazily unmounts what a stopped dockerd left mounted below
// its data root. A dockerd stopped while it served an archive request of
// the delivery container leaves the spool's bind mount in the mount
// namespace it ran in; on a host that is dockerd's own, torn down with
// the service, but here it is the test's, which the next dockerd shares.
func unmountStale(t *testing.T, dataRoot string) {
	if dataRoot == "" {
		return
	}
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

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
