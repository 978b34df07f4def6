package dockerdtest

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dockbake/dockbake/internal/testenv"
)

// Start starts dockerd with flags (its listeners and TLS) and waits until
// its TCP listener accepts connections.
func Start(t *testing.T, flags ...string) *Daemon {
	t.Helper()
	testenv.Root(t, "dockerd runs as root")
	bin := testenv.LookPath(t, "dockerd", "apt-get install docker.io")
	d := &Daemon{t: t, done: make(chan struct{})}
	for _, f := range flags {
		if v, ok := strings.CutPrefix(f, "tcp://"); ok {
			d.Addr = v
		}
	}
	if d.Addr == "" {
		t.Fatalf("dockerd flags name no TCP listener: %v", flags)
	}
	root, err := os.MkdirTemp("", "dbv")
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--data-root=" + root + "/data", "--exec-root=" + root + "/x", "--pidfile=" + root + "/pid",
		"--iptables=false", "--bridge=none", "--storage-driver=vfs"}, flags...)
	d.log = filepath.Join(root, "dockerd.log")
	d.start(bin, args)
	t.Cleanup(func() {
		d.Stop()
		syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		if t.Failed() {
			b, _ := os.ReadFile(d.log)
			t.Logf("dockerd %s\n%s", strings.Join(flags, " "), lastLines(string(b), 30))
		}
		syscall.Unmount(root+"/data", syscall.MNT_DETACH)
		os.RemoveAll(root)
	})
	d.wait()
	return d
}

func (d *Daemon) start(bin string, args []string) {
	logf, err := os.OpenFile(d.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		d.t.Fatal(err)
	}
	d.cmd = exec.Command(bin, args...)
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	done := make(chan struct{})
	d.done = done
	go func() { d.cmd.Wait(); logf.Close(); close(done) }()
}

// wait waits until dockerd listens, a minute at most.
func (d *Daemon) wait() {
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if conn, err := net.DialTimeout("tcp", d.Addr, time.Second); err == nil {
			conn.Close()
			return
		}
		select {
		case <-d.done:
			b, _ := os.ReadFile(d.log)
			d.t.Fatalf("dockerd exited:\n%s", lastLines(string(b), 30))
		default:
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("dockerd did not listen on %s within a minute", d.Addr)
		}
	}
}

// Flag is the value of dockerd's flag name (--name=value).
func (d *Daemon) Flag(name string) string {
	for _, a := range d.cmd.Args {
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	d.t.Fatalf("dockerd has no %s flag", name)
	return ""
}

// Restart stops dockerd and starts it again with the same flags, as
// systemctl restart does.
func (d *Daemon) Restart() {
	d.Stop()
	unmountStale(d.t, d.Flag("--data-root"))
	d.start(d.cmd.Path, d.cmd.Args[1:])
}

// Stop ends dockerd and waits for it; it is safe to call twice.
func (d *Daemon) Stop() {
	select {
	case <-d.done:
		return
	default:
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(20 * time.Second):
		syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		<-d.done
	}
}

// unmountStale lazily unmounts what a stopped dockerd left mounted below
// its data root (the spool's bind mount of a delivery container).
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

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
