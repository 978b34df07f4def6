package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/dockbake/dockbake/internal/dockerdtest"
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
	daemon := dockerdtest.FromUserData(t, ud)

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
			before := daemon.HandshakeErrors(t)
			out, err := docker(dir, "version")
			if err == nil {
				t.Fatalf("docker was let in with %s:\n%s", tc.name, out)
			}
			// The refusal must be the TLS handshake's. (The CLI may report it
			// as a reset connection: under TLS 1.3 dockerd's alert can arrive
			// after the client's first write.)
			if daemon.HandshakeErrors(t) == before && !bytes.Contains(out, []byte("certificate")) {
				t.Errorf("refused, but not by TLS: %s", out)
			}
		})
	}
}
