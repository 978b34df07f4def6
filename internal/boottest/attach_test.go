package boottest

import (
	"bytes"
	"context"

	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dockbake/dockbake/internal/testenv"
)

// TestAttach proves `dockbake attach` on a booted host: a guest booted
// from the user-data of `dockbake create` without an address is attached
// to 127.0.0.2, an address its first certificate does not name (in the
// guest's network namespace every 127.0.0.0/8 address is its own); the
// docker CLI then reaches it through `dockbake env` alone, and a
// container started before keeps running with the same PID. A delivery
// the host cannot serve is rolled back first, with the host's reason, and
// the old certificate still serves. Then regenerate-certs --apply moves
// it to 127.0.0.3, and its CA is rotated in two steps, each without a
// relaunch and with the container still running.
func TestAttach(t *testing.T) {
	t.Parallel()
	openssl := testenv.LookPath(t, "openssl", "apt-get install openssl")
	requireBoot(t)
	p := &proof{ctx: testContext(t)}
	p.image = buildImage(t, p.ctx, baked)
	p.machine = createBare(t, t.TempDir(), "web1", baked.port(t), "--os", "debian-12", "--install", baked.install)
	p.guest = bootGuest(t, p.ctx, p.image, baked, p.machine.userData)
	a := &afterBoot{proof: p, openssl: openssl, initialFP: fingerprintFile(t, p.machine.hostFile("server.pem"))}
	a.waitServed(t)
	a.startSleeper(t)
	if out, err := a.dockbake(t, "env", "web1"); err == nil || !strings.Contains(out, "dockbake attach web1 --ip ADDRESS") {
		t.Fatalf("env of the unattached machine: %v\n%s", err, out)
	}
	t.Run("a delivery the host cannot serve is rolled back", a.checkAttachRolledBack)
	t.Run("attached to 127.0.0.2, docker works through dockbake env", a.checkAttached)
	t.Run("regenerate-certs --ip 127.0.0.3 --apply moves it", a.checkApplyMoves)
	t.Run("a CA rotation in two steps", a.checkCARotation)
}

func (a *afterBoot) checkAttachRolledBack(t *testing.T) {
	before, _ := os.ReadFile(filepath.Join(a.machine.store, "hosts", "web1", "machine.json"))
	cert, key := a.secp256k1Pair(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "cert.pem"), cert, 0o600)
	os.WriteFile(filepath.Join(dir, "key.pem"), key, 0o600)
	out, err := a.dockbake(t, "attach", "web1", "--ip", "127.0.0.2", "--port", strconv.Itoa(a.machine.port),
		"--test-server-cert", filepath.Join(dir, "cert.pem"), "--test-server-key", filepath.Join(dir, "key.pem"))
	t.Logf("%s", out)
	if err == nil || !strings.Contains(out, "the host rolled-back the delivery: dockerd did not start with the delivered certificates") ||
		!strings.Contains(out, "unsupported elliptic curve") {
		t.Errorf("attach with a pair dockerd cannot load: %v; want rolled back with dockerd's error", err)
	}
	if got := a.servedFP(t); got != a.initialFP {
		t.Errorf("after the rollback dockerd serves %s, want the first boot's %s", got, a.initialFP)
	}
	after, _ := os.ReadFile(filepath.Join(a.machine.store, "hosts", "web1", "machine.json"))
	if !bytes.Equal(before, after) {
		t.Error("a rolled-back attach changed the store")
	}
}

func (a *afterBoot) checkAttached(t *testing.T) {
	start := time.Now()
	out, err := a.dockbake(t, "attach", "web1", "--ip", "127.0.0.2", "--port", strconv.Itoa(a.machine.port))
	t.Logf("attach took %.1f s:\n%s", time.Since(start).Seconds(), out)
	if err != nil {
		t.Fatalf("attach: %v", err)
	}
	if got := a.servedFP(t); got == a.initialFP || got != fingerprintFile(t, a.machine.hostFile("server.pem")) {
		t.Errorf("dockerd serves %s; want the store's new certificate, not the first boot's", got)
	}
	script := `eval "$(dockbake env web1)" && [ "$DOCKER_HOST" = tcp://127.0.0.2:` + strconv.Itoa(a.machine.port) + ` ] && docker ps`
	cmd := a.guest.NetCommand(a.ctx, "bash", "-c", script)
	cmd.Env = a.machine.env()
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "sleeper") {
		t.Errorf("docker ps through dockbake env at 127.0.0.2: %v\n%s", err, out)
	}
	if got := a.inspectSleeper(t); got != a.sleeper {
		t.Errorf("sleeper after attach: %s, want %s (running, same PID and StartedAt)", got, a.sleeper)
	}
	if out, err := a.guest.Run(a.ctx, "sh", "-c", "docker ps -aq --filter label=dockbake.delivery; docker images -q dockbake/spool"); err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("left on the host: %q (%v)", out, err)
	}
}

// dockbake runs the dockbake binary in the guest's network namespace with
// the machine's store, and returns its combined output.
func (a *afterBoot) dockbake(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(a.ctx, 10*time.Minute)
	defer cancel()
	cmd := a.guest.NetCommand(ctx, dockbakeBin, args...)
	cmd.Env = a.machine.env()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// waitServed waits until cloud-init is done (it enables the apply
// mechanism after dockerd's restart) and dockerd serves the first boot's
// certificate (env refuses the unattached machine, so waitTLS cannot be
// used).
func (a *afterBoot) waitServed(t *testing.T) {
	t.Helper()
	if _, err := a.guest.WaitCloudInit(a.ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Minute)
	for {
		out, _ := a.guest.Run(a.ctx, "sh", "-c", "openssl s_client -connect 127.0.0.1:"+strconv.Itoa(a.machine.port)+
			" </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256")
		if _, fp, _ := strings.Cut(strings.TrimSpace(out), "="); fp == a.initialFP {
			t.Logf("dockerd served the first certificate %.1f s after boot", time.Since(a.guest.Started).Seconds())
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("dockerd did not serve the first boot's certificate within 5 minutes")
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// createBare runs `dockbake create NAME --port PORT args...` without an
// address, and keeps the user-data it prints.
func createBare(t testing.TB, store, name string, port int, args ...string) *machine {
	t.Helper()
	m := &machine{name: name, store: store, home: t.TempDir(), port: port}
	argv := append([]string{"create", name, "--port", strconv.Itoa(port)}, args...)
	cmd := exec.Command(dockbakeBin, argv...)
	cmd.Env = m.env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("dockbake %s: %v\n%s", quoteArgv(argv), err, stderr.Bytes())
	}
	if !strings.Contains(stderr.String(), "dockbake attach "+name) {
		t.Errorf("create without an address does not say to attach:\n%s", stderr.Bytes())
	}
	m.userData = stdout.Bytes()
	return m
}
