package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dockbake/dockbake/internal/dmimport/dmtest"
	"github.com/dockbake/dockbake/internal/testenv"
)

// TestImportDockerMachine imports a store laid out exactly as Docker Machine
// writes it, while a real dockerd runs the certificates Docker Machine put
// on the host; the docker CLI, set up only by dockbake env, then reaches it.
func TestImportDockerMachine(t *testing.T) {
	c := newCLI(t)
	bash := testenv.LookPath(t, "bash", "apt-get install bash")
	testenv.LookPath(t, "docker", "apt-get install docker.io")
	port := freePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	dmRoot := filepath.Join(c.env["HOME"], ".docker", "machine")
	if _, err := dmtest.Write(dmRoot, "alice", time.Now(),
		dmtest.Host{Name: "dm1", IP: "127.0.0.1", EnginePort: port, TLSSANs: []string{"dm1.example.com"}, Labels: []string{"env=test"}},
		dmtest.Host{Name: "dm2", IP: "198.51.100.9"},
		dmtest.Host{Name: "stale", IP: "198.51.100.10", ForeignCA: true}); err != nil {
		t.Fatal(err)
	}
	// The host as Docker Machine provisioned it: /etc/docker/{ca,server,server-key}.pem.
	dm1 := filepath.Join(dmRoot, "machines", "dm1")
	startDockerdOn(t, addr, append([]string{"-H", "tcp://" + addr}, tlsFlags(dm1, "ca.pem", "server.pem", "server-key.pem", true)...)...)

	// Every machine is tried; the one Docker Machine left with a server
	// certificate of another CA is reported, the others come in.
	_, errOut, code := c.run("import-docker-machine")
	if code == 0 {
		t.Fatal("import of a store with a broken machine succeeded")
	}
	for _, want := range []string{
		`Imported dm1 (tcp://` + addr + `, driver generic) with the shared CA "docker-machine"`,
		`Imported dm2 (tcp://198.51.100.9:2376, driver generic)`,
		`machine "stale": its server certificate was not issued by the CA`, "docker-machine regenerate-certs stale",
		"dockbake: hint: fix what is named above",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("import output lacks %q:\n%s", want, errOut)
		}
	}
	out := c.ok("inspect", "dm1", "--format", "{{.CA}} {{.URL}} {{json .Spec.DNSNames}} {{json .Spec.Engine.Labels}} {{.Spec.Install}}")
	if want := `docker-machine tcp://` + addr + ` ["dm1.example.com"] ["env=test"] none`; strings.TrimSpace(out) != want {
		t.Errorf("inspect dm1 = %q, want %q", out, want)
	}
	// The client directory holds Docker Machine's client certificate, the
	// one DOCKER_CERT_PATH pointed at, and no CA key.
	entries, _ := os.ReadDir(filepath.Join(c.storeRoot(), "machines", "dm1"))
	if len(entries) != 3 {
		t.Errorf("client directory holds %d files", len(entries))
	}

	c.ok("verify", "dm1")
	envOut := c.ok("env", "dm1", "--shell", "bash")
	cmd := exec.Command(bash, "-c", `eval "$ENV_OUT" && docker version --format '{{.Server.Version}}'`)
	cmd.Env = append(os.Environ(), "ENV_OUT="+envOut, "DOCKER_CONFIG="+t.TempDir(), "DOCKER_CONTEXT=")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker with dockbake env after the import: %v\n%s", err, b)
	}

	// Docker Machine's CA is now dockbake's: it signs a new server
	// certificate and a teammate's, which the host accepts as it is.
	c.ok("regenerate-certs", "dm1", "-o", filepath.Join(t.TempDir(), "ud.yaml"))
	alice := filepath.Join(t.TempDir(), "alice")
	_, errOut, _ = c.run("client", "add", "dm1", "--user", "bob", "--output", alice)
	if !strings.Contains(errOut, `uses the shared CA "docker-machine": this certificate also opens every other machine on it`) {
		t.Errorf("no shared-CA warning:\n%s", errOut)
	}
	c.ok("verify", "dm1", "--cert-path", alice)

	// Again: refused without --force, machine by machine.
	c.fails([]string{"import-docker-machine", "dm1"}, `machine "dm1": already exists`, "--force")
	c.ok("import-docker-machine", "dm2", "--force")
}
