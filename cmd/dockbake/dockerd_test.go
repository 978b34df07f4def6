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
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
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
// 127.0.0.1. The sandbox flags keep it from touching the host's Docker.
func dockerdFromUserData(t *testing.T, ud []byte) {
	t.Helper()
	dockerd := testenv.LookPath(t, "dockerd", "apt-get install docker.io")
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
	argv := execStart(t, files[generator.HostDropIn].Content)
	argv[0] = dockerd
	for i, a := range argv {
		a = strings.Replace(a, "unix:///var/run/", "unix://"+root+"/", 1)
		a = strings.Replace(a, "tcp://0.0.0.0:", "tcp://127.0.0.1:", 1)
		argv[i] = strings.Replace(a, "=/etc/docker/", "="+root+"/etc/docker/", 1)
	}
	argv = append(argv, "--data-root="+root+"/data", "--exec-root="+root+"/x", "--pidfile="+root+"/pid",
		"--iptables=false", "--bridge=none", "--storage-driver=vfs")
	log, err := os.Create(filepath.Join(root, "dockerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Logf("dockerd %s", strings.Join(argv[1:], " "))
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if t.Failed() {
			b, _ := os.ReadFile(log.Name())
			t.Logf("dockerd log:\n%s", b)
		}
	})
}

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
	dockerdFromUserData(t, ud)

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
			out, err := docker(dir, "version")
			if err == nil {
				t.Fatalf("docker was let in with %s:\n%s", tc.name, out)
			}
			if !bytes.Contains(out, []byte("certificate")) && !bytes.Contains(out, []byte("tls")) {
				t.Errorf("refused, but not by TLS: %s", out)
			}
		})
	}
}
