package boottest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/dockbake/dockbake/internal/testenv"
)

// machine is one `dockbake create` in a store of the test.
type machine struct {
	name, store, home string
	port              int
	userData          []byte
}

// createMachine runs `dockbake create NAME --ip 127.0.0.1 --port PORT args...`
// with the store in $DOCKBAKE_STORAGE_PATH and keeps the user-data it prints.
func createMachine(t testing.TB, store, name string, port int, args ...string) *machine {
	t.Helper()
	m := &machine{name: name, store: store, home: t.TempDir(), port: port}
	argv := append([]string{"create", name, "--ip", "127.0.0.1", "--port", strconv.Itoa(port)}, args...)
	cmd := exec.Command(dockbakeBin, argv...)
	cmd.Env = m.env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("dockbake %s: %v\n%s", quoteArgv(argv), err, stderr.Bytes())
	}
	m.userData = stdout.Bytes()
	return m
}

// hostFile is a file of the machine's host side in the store (server
// certificate and key, CA key).
func (m *machine) hostFile(name string) string {
	return filepath.Join(m.store, "hosts", m.name, name)
}

// clientFile is a file of the machine's client bundle in the store.
func (m *machine) clientFile(name string) string {
	return filepath.Join(m.store, "machines", m.name, name)
}

// env is the environment of host commands for m: its store, a private HOME
// and docker config, and PATH with dockbake and the docker CLI first.
func (m *machine) env() []string {
	cli, _ := dockerCLI()
	return []string{
		"PATH=" + filepath.Dir(dockbakeBin) + ":" + filepath.Dir(cli) + ":/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=" + m.home,
		"DOCKER_CONFIG=" + filepath.Join(m.home, ".docker"),
		"DOCKBAKE_STORAGE_PATH=" + m.store,
		"SHELL=/bin/bash",
		"LANG=C.UTF-8",
	}
}

// shell runs script with bash on the host, in g's network namespace, the way
// a user would: after eval "$(dockbake env NAME)". It first checks that the
// eval pointed the docker CLI at the machine, so a failed `dockbake env` can
// never send the script to some other daemon.
func (m *machine) shell(ctx context.Context, g *Guest, script string) (string, error) {
	full := fmt.Sprintf(`eval "$(dockbake env %s)" && [ "$DOCKER_TLS_VERIFY" = 1 ] && [ "$DOCKER_HOST" = tcp://127.0.0.1:%d ] || { echo "dockbake env did not set DOCKER_HOST/DOCKER_TLS_VERIFY"; exit 99; }
%s`, m.name, m.port, script)
	cmd := g.NetCommand(ctx, "bash", "-c", full)
	cmd.Env = m.env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("bash -c %q in guest %s's network: %w\n%s", script, g.Name, err, out)
	}
	return string(out), nil
}

// freePort returns a TCP port that is free on all of the host's addresses
// right now: guests in the host's network namespace bind 0.0.0.0:PORT.
func freePort(t testing.TB) int {
	t.Helper()
	return testenv.FreePort(t, "")
}

// certDir makes a DOCKER_CERT_PATH from the given files (ca.pem, cert.pem,
// key.pem); a missing name leaves that file out.
func certDir(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
