package boottest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// dockbakeBin is the dockbake binary built by TestMain; buildErr says why
// there is none.
var (
	dockbakeBin string
	buildErr    error
)

// TestMain builds the real dockbake binary once, so the tests run it as a
// user would. When this binary was re-executed as a TLS probe inside a
// guest's network namespace, it runs the probe instead of the tests.
func TestMain(m *testing.M) {
	if os.Getenv(probeEnv) != "" {
		os.Exit(runTLSProbe(os.Stdout))
	}
	dir, err := os.MkdirTemp("", "dockbake-boottest-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if Prerequisites() == nil {
		dockbakeBin = filepath.Join(dir, "dockbake")
		out, err := exec.Command("go", "build", "-o", dockbakeBin, "github.com/dockbake/dockbake/cmd/dockbake").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/dockbake: %w\n%s", err, out)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// requireBoot skips or fails t (see [Require]) unless this machine can boot
// guests, and fails it when dockbake or a docker CLI is missing.
func requireBoot(t testing.TB) {
	t.Helper()
	Require(t)
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	if _, err := dockerCLI(); err != nil {
		t.Fatal(err)
	}
}

// dockerCLI returns the host's docker CLI: $DOCKBAKE_DOCKER_CLI, else docker
// on PATH, else /usr/bin/docker.
func dockerCLI() (string, error) {
	if cli := os.Getenv("DOCKBAKE_DOCKER_CLI"); cli != "" {
		return cli, nil
	}
	for _, cli := range []string{"docker", "/usr/bin/docker"} {
		if path, err := exec.LookPath(cli); err == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("no docker CLI on PATH or at /usr/bin/docker: install docker.io (or set DOCKBAKE_DOCKER_CLI)")
}
