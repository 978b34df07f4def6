// Package testenv decides what a test does when a real component it needs
// (dockerd, cloud-init, openssl, ...) is missing: skip with a clear message
// on a developer's machine, fail in CI, where .ci/run installs everything.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// Strict reports whether missing components are failures: in CI (CI=true)
// or when DOCKBAKE_REQUIRE_E2E=1.
func Strict() bool {
	return os.Getenv("CI") == "true" || os.Getenv("DOCKBAKE_REQUIRE_E2E") == "1"
}

// Missing skips the test, or fails it when Strict, saying what is missing
// and how to get it.
func Missing(t testing.TB, what, install string) {
	t.Helper()
	if Strict() {
		t.Fatalf("%s is required here but missing: %s", what, install)
	}
	t.Skipf("skipping: %s is missing (%s)", what, install)
}

// LookPath returns the path of program, or skips/fails via Missing.
func LookPath(t testing.TB, program, install string) string {
	t.Helper()
	p, err := exec.LookPath(program)
	if err != nil {
		Missing(t, program, install)
	}
	return p
}

// Root skips/fails unless the test runs as root.
func Root(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "root", why)
	}
}
