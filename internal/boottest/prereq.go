package boottest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// tools lists the host programs the harness runs, with the Debian package
// that provides each.
var tools = map[string]string{
	"systemd-nspawn": "systemd-container",
	"mmdebstrap":     "mmdebstrap",
	"nsenter":        "util-linux",
}

// Prerequisites reports every reason why this machine cannot build images and
// boot guests, or nil when it can.
func Prerequisites() error {
	var errs []error
	if os.Geteuid() != 0 {
		errs = append(errs, errors.New("not running as root (systemd-nspawn, mount and cgroups need it)"))
	}
	for _, tool := range sortedKeys(tools) {
		if _, err := exec.LookPath(tool); err != nil {
			errs = append(errs, fmt.Errorf("%s not found: install the %s package", tool, tools[tool]))
		}
	}
	if fs, err := os.ReadFile("/proc/filesystems"); err != nil || !strings.Contains(string(fs), "\toverlay\n") {
		errs = append(errs, errors.New("the kernel does not offer overlayfs (see /proc/filesystems)"))
	}
	if _, err := cgroupRoots(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Required reports whether the environment forbids skipping boot tests:
// CI=true or DOCKBAKE_REQUIRE_E2E=1.
func Required(getenv func(string) string) bool {
	return getenv("CI") == "true" || getenv("DOCKBAKE_REQUIRE_E2E") == "1"
}

// Require skips tb in -short mode and when [Prerequisites] fails; in the
// latter case it fails tb instead when [Required] says skipping is not
// allowed. -short is an explicit choice, so it skips even then.
func Require(tb testing.TB) {
	tb.Helper()
	if testing.Short() {
		tb.Skip("boot tests take minutes: skipped in -short mode (run make boot-test)")
	}
	err := Prerequisites()
	if err == nil {
		return
	}
	msg := "boot test needs root, systemd-nspawn and mmdebstrap: " + strings.ReplaceAll(err.Error(), "\n", "; ")
	if Required(os.Getenv) {
		tb.Fatalf("%s (skipping is not allowed with CI=true or DOCKBAKE_REQUIRE_E2E=1)", msg)
	}
	tb.Skip(msg + " (set DOCKBAKE_REQUIRE_E2E=1 to turn this skip into a failure)")
}
