package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/internal/dockerdtest"
	"github.com/dockbake/dockbake/internal/testenv"
)

// dockerCLI runs the real docker CLI on the context store of c.
func dockerCLI(t *testing.T, c *inproc, args ...string) (string, error) {
	t.Helper()
	docker := testenv.LookPath(t, "docker", "apt-get install docker.io")
	cmd := exec.Command(docker, args...)
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+c.env["DOCKER_CONFIG"], "DOCKER_CONTEXT=", "DOCKER_HOST=")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestContextRealDocker makes contexts both ways, through the docker CLI
// and by writing its store with no docker CLI in PATH, and uses each with
// the real docker CLI against a real dockerd.
func TestContextRealDocker(t *testing.T) {
	c := newCLI(t)
	testenv.LookPath(t, "docker", "apt-get install docker.io")
	port := strconv.Itoa(freePort(t))
	addr := "127.0.0.1:" + port
	c.ok("create", "web1", "--ip", "127.0.0.1", "--port", port, "-o", filepath.Join(t.TempDir(), "ud.yaml"))
	dockerdtest.Start(t, append([]string{"-H", "tcp://" + addr}, c.hostTLS("web1", true)...)...)

	_, errOut, code := c.run("context", "web1")
	if code != 0 || !strings.Contains(errOut, "Created docker context web1 for web1 (tcp://"+addr+") with the docker CLI") {
		t.Fatalf("context web1: %d\n%s", code, errOut)
	}
	noDocker := newCLI(t)
	noDocker.env = map[string]string{}
	for k, v := range c.env {
		noDocker.env[k] = v
	}
	noDocker.env["PATH"] = t.TempDir()
	_, errOut, code = noDocker.run("context", "web1", "--name", "web1-direct")
	if code != 0 || !strings.Contains(errOut, "(the docker CLI is not installed here)") {
		t.Fatalf("context without the docker CLI: %d\n%s", code, errOut)
	}
	// The store written directly is laid out as the docker CLI writes it.
	for _, name := range []string{"web1", "web1-direct"} {
		tls := filepath.Join(c.env["DOCKER_CONFIG"], "contexts", "tls", contextID(name), "docker")
		for _, f := range []string{"ca.pem", "cert.pem", "key.pem"} {
			if fi, err := os.Stat(filepath.Join(tls, f)); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: %s: %v %v", name, f, fi, err)
			}
		}
	}
	for _, name := range []string{"web1", "web1-direct"} {
		out, err := dockerCLI(t, c, "--context", name, "version", "--format", "{{.Server.Version}}")
		if err != nil {
			t.Errorf("docker --context %s version: %v\n%s", name, err, out)
		}
		out, err = dockerCLI(t, c, "context", "inspect", name)
		var metas []contextMeta
		if err != nil || json.Unmarshal([]byte(out), &metas) != nil || len(metas) != 1 || metas[0].Metadata.Description != "dockbake machine web1" {
			t.Errorf("docker context inspect %s: %v\n%s", name, err, out)
		}
	}

	// Updating: after a new client certificate, both ways refresh the copies.
	c.ok("regenerate-certs", "web1", "--client", "-o", filepath.Join(t.TempDir(), "ud2.yaml"))
	if _, errOut, _ := c.run("context", "web1"); !strings.Contains(errOut, "Updated docker context web1") {
		t.Errorf("second context web1:\n%s", errOut)
	}
	noDocker.ok("context", "web1", "--name", "web1-direct")
	newCert, _ := os.ReadFile(filepath.Join(c.storeRoot(), "machines", "web1", "cert.pem"))
	for _, name := range []string{"web1", "web1-direct"} {
		got, _ := os.ReadFile(filepath.Join(c.env["DOCKER_CONFIG"], "contexts", "tls", contextID(name), "docker", "cert.pem"))
		if string(got) != string(newCert) {
			t.Errorf("context %s still holds the old client certificate", name)
		}
		if out, err := dockerCLI(t, c, "--context", name, "version"); err != nil {
			t.Errorf("docker --context %s version after the update: %v\n%s", name, err, out)
		}
	}

	// rm refuses the current context without --force, both ways.
	if out, err := dockerCLI(t, c, "context", "use", "web1-direct"); err != nil {
		t.Fatalf("docker context use: %v\n%s", err, out)
	}
	noDocker.fails([]string{"context", "rm", "web1", "--name", "web1-direct"}, `docker context "web1-direct" is the current one`, "docker context use default")
	noDocker.ok("context", "rm", "web1", "--name", "web1-direct", "--force")
	c.ok("context", "rm", "web1")
	out, err := dockerCLI(t, c, "context", "ls", "--format", "{{.Name}} {{.Current}}")
	if err != nil || strings.Contains(out, "web1") || !strings.Contains(out, "default true") {
		t.Errorf("contexts left after rm: %v\n%s", err, out)
	}
}
