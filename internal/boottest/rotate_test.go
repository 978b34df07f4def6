package boottest

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// checkApplyMoves is regenerate-certs --apply on the booted host: the
// machine attached at 127.0.0.2 moves to 127.0.0.3 without a relaunch,
// and the container started before keeps running.
func (a *afterBoot) checkApplyMoves(t *testing.T) {
	start := time.Now()
	out, err := a.dockbake(t, "regenerate-certs", "web1", "--ip", "127.0.0.3", "--apply")
	t.Logf("regenerate-certs --apply took %.1f s:\n%s", time.Since(start).Seconds(), out)
	if err != nil {
		t.Fatalf("regenerate-certs --apply: %v", err)
	}
	if got := a.servedFP(t); got != fingerprintFile(t, a.machine.hostFile("server.pem")) {
		t.Errorf("dockerd serves %s; want the store's new certificate", got)
	}
	a.dockerPS(t, "", "tcp://127.0.0.3:"+strconv.Itoa(a.machine.port), true)
	if got := a.inspectSleeper(t); got != a.sleeper {
		t.Errorf("sleeper after --apply: %s, want %s (running, same PID and StartedAt)", got, a.sleeper)
	}
}

// checkCARotation rotates the CA of the running host in two steps: during
// the rotation the old CA's client certificates and the new one's get
// in, after the finish only the new CA's; the container keeps running.
func (a *afterBoot) checkCARotation(t *testing.T) {
	url := "tcp://127.0.0.3:" + strconv.Itoa(a.machine.port)
	alice := filepath.Join(t.TempDir(), "alice")
	if out, err := a.dockbake(t, "client", "add", "web1", "--user", "alice", "-o", alice); err != nil {
		t.Fatalf("client add: %v\n%s", err, out)
	}
	out, err := a.dockbake(t, "regenerate-certs", "web1", "--ca", "--apply")
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("regenerate-certs --ca --apply: %v", err)
	}
	bob := filepath.Join(t.TempDir(), "bob")
	if out, err := a.dockbake(t, "client", "add", "web1", "--user", "bob", "-o", bob); err != nil {
		t.Fatalf("client add during the rotation: %v\n%s", err, out)
	}
	own := filepath.Join(a.machine.store, "machines", "web1")
	for _, dir := range []string{own, alice, bob} {
		a.dockerPS(t, dir, url, true)
	}
	out, err = a.dockbake(t, "regenerate-certs", "web1", "--ca", "--finish", "--force")
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("regenerate-certs --ca --finish: %v", err)
	}
	a.dockerPS(t, alice, url, false)
	for _, dir := range []string{own, bob} {
		a.dockerPS(t, dir, url, true)
	}
	if got := a.inspectSleeper(t); got != a.sleeper {
		t.Errorf("sleeper after the CA rotation: %s, want %s", got, a.sleeper)
	}
}

// dockerPS runs docker ps in the guest's network namespace at url with
// the client files in dir (empty: through dockbake env), and checks that
// it gets in, or is refused.
func (a *afterBoot) dockerPS(t *testing.T, dir, url string, want bool) {
	t.Helper()
	script := `export DOCKER_HOST="$URL" DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$DIR"; docker ps`
	if dir == "" {
		script = `eval "$(dockbake env web1)" && [ "$DOCKER_HOST" = "$URL" ] && docker ps`
	}
	cmd := a.guest.NetCommand(a.ctx, "bash", "-c", script)
	cmd.Env = append(a.machine.env(), "URL="+url, "DIR="+dir)
	out, err := cmd.CombinedOutput()
	switch got := err == nil && strings.Contains(string(out), "sleeper"); {
	case want && !got:
		t.Errorf("docker ps at %s with %q is refused: %v\n%s", url, dir, err, out)
	case !want && err == nil:
		t.Errorf("docker ps at %s with %q gets in; want it refused", url, dir)
	}
}
