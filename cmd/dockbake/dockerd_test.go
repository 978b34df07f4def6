package main

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/internal/testenv"
)

// buildDockbake compiles the real binary once per test run.
func buildDockbake(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "dockbake")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) int {
	t.Helper()
	return testenv.FreePort(t, "127.0.0.1")
}

// userDataFiles returns write_files of rendered user-data by path.
func userDataFiles(t *testing.T, ud []byte) map[string]writtenFile {
	t.Helper()
	var cc struct {
		WriteFiles []writtenFile `yaml:"write_files"`
	}
	if err := yaml.Unmarshal(ud, &cc); err != nil {
		t.Fatalf("user-data is not YAML: %v", err)
	}
	files := map[string]writtenFile{}
	for _, f := range cc.WriteFiles {
		files[f.Path] = f
	}
	return files
}

type writtenFile struct {
	Path        string `yaml:"path"`
	Permissions string `yaml:"permissions"`
	Content     string `yaml:"content"`
}

// dockerdFromUserData starts the system's real dockerd exactly as the
// rendered drop-in would, with the files from the rendered user-data, but
// with host paths remapped into a scratch root and the TCP listener on
// 127.0.0.1.
func dockerdFromUserData(t *testing.T, ud []byte) *dockerd {
	t.Helper()
	testenv.Root(t, "dockerd runs as root")
	// Short: unix socket paths are limited to 108 bytes.
	root, err := os.MkdirTemp("", "dbd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	files := userDataFiles(t, ud)
	for _, f := range files {
		mode, err := strconv.ParseUint(f.Permissions, 8, 32)
		if err != nil {
			t.Fatalf("%s: permissions %q: %v", f.Path, f.Permissions, err)
		}
		p := filepath.Join(root, f.Path)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(f.Content), os.FileMode(mode)); err != nil {
			t.Fatal(err)
		}
	}
	var addr string
	argv := execStart(t, files[generator.HostDropIn].Content)
	for i, a := range argv {
		a = strings.Replace(a, "unix:///var/run/", "unix://"+root+"/", 1)
		if rest, ok := strings.CutPrefix(a, "tcp://0.0.0.0:"); ok {
			addr = "127.0.0.1:" + rest
			a = "tcp://" + addr
		}
		argv[i] = strings.Replace(a, "=/etc/docker/", "="+root+"/etc/docker/", 1)
	}
	if addr == "" {
		t.Fatalf("drop-in has no TCP listener: %v", argv)
	}
	t.Logf("dockerd %s", strings.Join(argv[1:], " "))
	return startDockerdOn(t, addr, argv[1:]...)
}

// dockerd is a real dockerd on loopback, sandboxed so that it does not touch
// the host's Docker: its own data and exec roots, no iptables, no bridge.
type dockerd struct {
	t    *testing.T
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// startDockerdOn starts dockerd with the given flags (listeners and TLS)
// and waits until addr accepts connections.
func startDockerdOn(t *testing.T, addr string, flags ...string) *dockerd {
	t.Helper()
	testenv.Root(t, "dockerd runs as root")
	bin := testenv.LookPath(t, "dockerd", "apt-get install docker.io")
	// Short: unix socket paths under the exec root are limited to 108 bytes.
	root, err := os.MkdirTemp("", "dbv")
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--data-root=" + root + "/data", "--exec-root=" + root + "/x", "--pidfile=" + root + "/pid",
		"--iptables=false", "--bridge=none", "--storage-driver=vfs"}, flags...)
	d := &dockerd{t: t, log: filepath.Join(root, "dockerd.log"), done: make(chan struct{})}
	logf, err := os.Create(d.log)
	if err != nil {
		t.Fatal(err)
	}
	d.cmd = exec.Command(bin, args...)
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.cmd.Wait(); logf.Close(); close(d.done) }()
	t.Cleanup(func() {
		d.stop()
		// The containerd that dockerd started is in its process group; a
		// dockerd that died early may have left it behind.
		syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		if t.Failed() {
			b, _ := os.ReadFile(d.log)
			t.Logf("dockerd %s\n%s", strings.Join(flags, " "), lastLines(string(b), 30))
		}
		// dockerd bind-mounts its data root onto itself; one that died
		// during start leaves the mount behind.
		syscall.Unmount(root+"/data", syscall.MNT_DETACH)
		os.RemoveAll(root)
	})
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			conn.Close()
			return d
		}
		select {
		case <-d.done:
			b, _ := os.ReadFile(d.log)
			t.Fatalf("dockerd exited:\n%s", lastLines(string(b), 30))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("dockerd did not listen on %s within a minute", addr)
		}
	}
}

// handshakeErrors counts the TLS handshakes dockerd has refused so far.
func (d *dockerd) handshakeErrors(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile(d.log)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte("TLS handshake error"))
}

// stop ends dockerd and waits for it; it is safe to call twice.
func (d *dockerd) stop() {
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

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TestVerifyRealDockerd takes a real dockerd on loopback through the
// states verify must tell apart, and checks each diagnosis and its fix.
// execStart returns the argv of the drop-in's last ExecStart= line. The
// line is split on spaces, so the test asserts that this machine's line
// needed no quoting.
func execStart(t *testing.T, dropIn string) []string {
	t.Helper()
	var last string
	for _, line := range strings.Split(dropIn, "\n") {
		if v, ok := strings.CutPrefix(line, "ExecStart="); ok && v != "" {
			last = v
		}
	}
	if last == "" || strings.ContainsAny(last, `"'\$%`) {
		t.Fatalf("no plain ExecStart= line in drop-in:\n%s", dropIn)
	}
	return strings.Fields(last)
}

// TestRealDockerd is the core's end-to-end proof: the real docker CLI, set
// up only by `eval "$(dockbake env NAME)"`, talks mutual TLS to a real
// dockerd configured only by what dockbake rendered; and the wrong
// certificates are refused.
func TestRealDockerd(t *testing.T) {
	testenv.Root(t, "dockerd runs as root")
	testenv.LookPath(t, "dockerd", "apt-get install docker.io")
	testenv.LookPath(t, "docker", "apt-get install docker.io")
	bash := testenv.LookPath(t, "bash", "apt-get install bash")
	bin := buildDockbake(t)
	store := filepath.Join(t.TempDir(), `store with 'quotes' and "spaces"`)
	port := freePort(t)
	dockbake := func(args ...string) []byte {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"--storage-path", store}, args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("dockbake %v: %v\n%s", args, err, stderr.Bytes())
		}
		return out
	}
	ud := dockbake("create", "web1", "--ip", "127.0.0.1", "--port", strconv.Itoa(port), "--os", "debian-12", "--install", "none")
	dockbake("create", "other", "--ip", "127.0.0.1", "--port", strconv.Itoa(port))
	daemon := dockerdFromUserData(t, ud)

	// docker runs in a shell set up by eval "$(dockbake env web1)" alone.
	docker := func(certPath string, args ...string) ([]byte, error) {
		script := `eval "$("$DOCKBAKE" --storage-path "$STORE" env web1 --shell bash)" || exit 99
if [ -n "$CERTS" ]; then DOCKER_CERT_PATH=$CERTS; fi
exec docker "$@"`
		cmd := exec.Command(bash, append([]string{"-c", script, "bash"}, args...)...)
		cmd.Env = append(os.Environ(), "DOCKBAKE="+bin, "STORE="+store, "CERTS="+certPath, "DOCKER_CONTEXT=", "DOCKER_CONFIG="+t.TempDir())
		return cmd.CombinedOutput()
	}
	var out []byte
	var err error
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		if out, err = docker("", "version", "--format", "{{.Server.Version}}"); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("docker version over TLS never succeeded: %v\n%s", err, out)
	}
	t.Logf("server version %s", bytes.TrimSpace(out))
	if out, err := docker("", "info", "--format", "{{.Name}}"); err != nil {
		t.Errorf("docker info: %v\n%s", err, out)
	}

	client := filepath.Join(store, "machines", "web1")
	otherClient := filepath.Join(store, "machines", "other")
	hostDir := filepath.Join(store, "hosts", "web1")
	for _, tc := range []struct {
		name          string
		ca, cert, key string
	}{
		{"no client certificate", filepath.Join(client, "ca.pem"), "", ""},
		{"another machine's client certificate", filepath.Join(client, "ca.pem"), filepath.Join(otherClient, "cert.pem"), filepath.Join(otherClient, "key.pem")},
		{"the server certificate as a client certificate", filepath.Join(client, "ca.pem"), filepath.Join(hostDir, "server.pem"), filepath.Join(hostDir, "server-key.pem")},
		{"another machine's CA trusted by the client", filepath.Join(otherClient, "ca.pem"), filepath.Join(client, "cert.pem"), filepath.Join(client, "key.pem")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, src := range map[string]string{"ca.pem": tc.ca, "cert.pem": tc.cert, "key.pem": tc.key} {
				if src == "" {
					continue
				}
				b, err := os.ReadFile(src)
				if err != nil {
					t.Fatal(err)
				}
				os.WriteFile(filepath.Join(dir, name), b, 0o600)
			}
			before := daemon.handshakeErrors(t)
			out, err := docker(dir, "version")
			if err == nil {
				t.Fatalf("docker was let in with %s:\n%s", tc.name, out)
			}
			// The refusal must be the TLS handshake's. (The CLI may report it
			// as a reset connection: under TLS 1.3 dockerd's alert can arrive
			// after the client's first write.)
			if daemon.handshakeErrors(t) == before && !bytes.Contains(out, []byte("certificate")) {
				t.Errorf("refused, but not by TLS: %s", out)
			}
		})
	}
}
