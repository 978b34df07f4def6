package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/internal/dockerdtest"
	"github.com/dockbake/dockbake/internal/testenv"
)

// applyRotations is regenerate-certs --apply against the attached web1 of
// TestAttachRealDockerd: a new server certificate delivered to the
// running dockerd, then a two-step CA rotation during which the old and
// the new CA's client certificates both get in, and after whose finish
// only the new CA's do.
func applyRotations(t *testing.T, bin, store, port string, host *dockerdtest.Host) {
	host.Answer(nil) // the default: applied
	regen := func(args ...string) string {
		t.Helper()
		all := append([]string{"regenerate-certs", "web1", "--test-spool-dir", host.Spool}, args...)
		_, stderr, err := runDockbake(bin, store, all...)
		if err != nil {
			t.Fatalf("regenerate-certs %v: %v\n%s", args, err, stderr)
		}
		return stderr
	}
	url := "tcp://127.0.0.1:" + port
	old := host.Served()
	out := regen("--ip", "127.0.0.1", "--dns", "web1.test", "--apply")
	if host.Served() == old || !strings.Contains(out, "serves its new certificate") {
		t.Errorf("--apply: the host serves the old certificate\n%s", out)
	}
	if err := dockerPS(t, filepath.Join(store, "machines", "web1"), url); err != nil {
		t.Errorf("docker ps after --apply: %v", err)
	}
	alice := filepath.Join(t.TempDir(), "alice")
	if _, stderr, err := runDockbake(bin, store, "client", "add", "web1", "--user", "alice", "-o", alice); err != nil {
		t.Fatalf("client add: %v\n%s", err, stderr)
	}

	out = regen("--ca", "--apply")
	if !strings.Contains(out, "CA rotation started") || !strings.Contains(out, "Teammates keep access until the finish, then lose it: alice") {
		t.Errorf("start:\n%s", out)
	}
	bob := filepath.Join(t.TempDir(), "bob")
	if _, stderr, err := runDockbake(bin, store, "client", "add", "web1", "--user", "bob", "-o", bob); err != nil {
		t.Fatalf("client add during the rotation: %v\n%s", err, stderr)
	}
	for who, dir := range map[string]string{"own (new CA)": filepath.Join(store, "machines", "web1"), "alice (old CA)": alice, "bob (new CA)": bob} {
		if err := dockerPS(t, dir, url); err != nil {
			t.Errorf("during the rotation %s is refused: %v", who, err)
		}
	}
	ls, _, _ := runDockbake(bin, store, "client", "ls", "web1")
	if !strings.Contains(ls, "accepted until the CA rotation ends") {
		t.Errorf("client ls during the rotation does not say alice's certificate ends with it:\n%s", ls)
	}

	out = regen("--ca", "--finish", "--force")
	if !strings.Contains(out, "CA rotation finished") || !strings.Contains(out, "Cut off: alice") {
		t.Errorf("finish:\n%s", out)
	}
	if err := dockerPS(t, alice, url); err == nil {
		t.Error("after the finish alice's certificate of the old CA still gets in")
	}
	for who, dir := range map[string]string{"own": filepath.Join(store, "machines", "web1"), "bob": bob} {
		if err := dockerPS(t, dir, url); err != nil {
			t.Errorf("after the finish %s is refused: %v", who, err)
		}
	}
	ls, _, _ = runDockbake(bin, store, "client", "ls", "web1")
	if !strings.Contains(ls, "alice") || !strings.Contains(ls, "not accepted") {
		t.Errorf("client ls after the finish does not say alice is out:\n%s", ls)
	}
	if _, stderr, err := runDockbake(bin, store, "regenerate-certs", "web1", "--ca", "--finish", "--force", "--test-spool-dir", host.Spool); err == nil ||
		!strings.Contains(stderr, "no CA rotation is under way") {
		t.Errorf("a second finish: %v\n%s", err, stderr)
	}
}

// dockerPS runs docker ps against url with the client files in dir.
func dockerPS(t *testing.T, dir, url string) error {
	t.Helper()
	cmd := exec.Command("docker", "ps")
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+url, "DOCKER_TLS_VERIFY=1", "DOCKER_CERT_PATH="+dir, "DOCKER_CONTEXT=", "DOCKER_CONFIG="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// TestAttachRestartsNeedForce: on a host whose containers would restart
// with dockerd (live-restore off, as a swarm node must have it) attach
// stops and asks for --force, changing nothing; with --force it delivers.
func TestAttachRestartsNeedForce(t *testing.T) {
	testenv.Root(t, "dockerd runs as root")
	testenv.LookPath(t, "dockerd", "apt-get install docker.io")
	testenv.LookPath(t, "docker", "apt-get install docker.io")
	bin := buildDockbake(t)
	store := filepath.Join(t.TempDir(), "store")
	port := strconv.Itoa(freePort(t))
	ud, _, err := runDockbake(bin, store, "create", "web1", "--attach-only", "--port", port, "--os", "debian-12", "--install", "none", "--engine-opt", "live-restore=false")
	if err != nil {
		t.Fatal(err)
	}
	daemon := dockerdtest.FromUserData(t, []byte(ud))
	host := dockerdtest.NewHost(t, daemon)
	record := filepath.Join(store, "hosts", "web1", "machine.json")
	before, _ := os.ReadFile(record)
	args := []string{"attach", "web1", "--ip", "127.0.0.1", "--port", port, "--test-spool-dir", host.Spool}
	_, stderr, err := runDockbake(bin, store, args...)
	if err == nil || !strings.Contains(stderr, "its containers would restart with dockerd: live-restore is off") || !strings.Contains(stderr, "--force") {
		t.Errorf("attach with live-restore off: %v\n%s", err, stderr)
	}
	if after, _ := os.ReadFile(record); !bytes.Equal(before, after) {
		t.Error("a refused attach changed the store")
	}
	if left := daemon.LeftBehind(t); left != "" {
		t.Errorf("left behind: %s", left)
	}
	if _, stderr, err := runDockbake(bin, store, append(args, "--force")...); err != nil {
		t.Errorf("attach --force: %v\n%s", err, stderr)
	}
}
