package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/internal/dockerdtest"
	"github.com/dockbake/dockbake/internal/testenv"
)

// TestFleetAttachRealDockerd is fleet attach's end-to-end proof: two
// machines made by fleet apply without addresses, each host a real dockerd
// on loopback configured only by the user-data apply wrote (the host's
// part of the delivery played by dockerdtest.Host), then the inventory gains their
// address and fleet attach attaches both; the docker CLI reaches each
// through dockbake env. A third, whose host never answers, fails alone,
// and the exit says so.
func TestFleetAttachRealDockerd(t *testing.T) {
	testenv.Root(t, "dockerd runs as root")
	testenv.LookPath(t, "dockerd", "apt-get install docker.io")
	testenv.LookPath(t, "docker", "apt-get install docker.io")
	bin := buildDockbake(t)
	base := t.TempDir()
	store := filepath.Join(base, "store")
	ports := []int{freePort(t), freePort(t), freePort(t)}
	inventory := func(withIP bool) string {
		var b strings.Builder
		b.WriteString("version: 1\nfleet: hosts\ndefaults:\n  os: debian-12\n  install: none\nmachines:\n")
		for i, p := range ports {
			fmt.Fprintf(&b, "  - name: h%d\n    port: %d\n", i, p)
			if withIP {
				b.WriteString("    ip_addresses: [127.0.0.1]\n")
			}
		}
		path := filepath.Join(base, fmt.Sprintf("hosts-%v.yaml", withIP))
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	ud := filepath.Join(base, "ud")
	if _, stderr, err := runDockbake(bin, store, "fleet", "apply", inventory(false), "-o", ud); err != nil {
		t.Fatalf("apply: %v\n%s", err, stderr)
	}
	args := []string{"fleet", "attach", inventory(true), "--parallel", "3", "--timeout", "60s"}
	for i := 0; i < 2; i++ {
		data, err := os.ReadFile(filepath.Join(ud, fmt.Sprintf("h%d.yaml", i)))
		if err != nil {
			t.Fatal(err)
		}
		host := dockerdtest.NewHost(t, dockerdtest.FromUserData(t, data))
		args = append(args, "--test-spool-dir", fmt.Sprintf("h%d=%s", i, host.Spool))
	}
	_, stderr, err := runDockbake(bin, store, args...)
	if err == nil || !strings.Contains(stderr, "Fleet hosts: 2 of 3 attached.") || !strings.Contains(stderr, "warning: h2: ") {
		t.Fatalf("fleet attach: %v\n%s", err, stderr)
	}
	for i := 0; i < 2; i++ {
		script := fmt.Sprintf(`eval "$("$DOCKBAKE" --storage-path "$STORE" env h%d --shell bash)" && docker version --format '{{.Server.Version}}'`, i)
		cmd := exec.Command("bash", "-c", script)
		cmd.Env = append(os.Environ(), "DOCKBAKE="+bin, "STORE="+store)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("docker through dockbake env h%d: %v\n%s", i, err, out)
		}
	}
	if _, stderr, err := runDockbake(bin, store, "env", "h2"); err == nil {
		t.Errorf("h2 was not attached, but env works:\n%s", stderr)
	}
}
