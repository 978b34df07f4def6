package main

import (
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestBuildOf(t *testing.T) {
	vcs := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"}, {Key: "vcs.modified", Value: "true"}}}
	tagged := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.4.0"}}
	for _, tc := range []struct {
		name            string
		version, commit string
		bi              *debug.BuildInfo
		want            string
	}{
		{"ldflags win", "1.2.3", "abc1234", vcs, "dockbake 1.2.3 (commit abc1234, go1.26.0 "},
		{"vcs fallback", "", "", vcs, "dockbake (devel) (commit 0123456789abcdef0123456789abcdef01234567-dirty, go1.26.0 "},
		{"go install @version", "", "", tagged, "dockbake v1.4.0 (commit unknown, go1.26.0 "},
		{"no build info", "", "", nil, "dockbake (devel) (commit unknown, go"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := buildOf(tc.version, tc.commit, tc.bi, tc.bi != nil).String(); !strings.HasPrefix(got, tc.want) {
				t.Errorf("got  %q\nwant %q...", got, tc.want)
			}
		})
	}
}

// TestVersionLdflags builds the binary the way a release does and checks
// that -X reaches both variables.
func TestVersionLdflags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "dockbake")
	build := exec.Command("go", "build", "-o", bin, "-ldflags", "-X main.version=9.8.7 -X main.commit=feedface", ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "dockbake 9.8.7 (commit feedface, go") {
		t.Errorf("dockbake version = %q, %v", out, err)
	}
	out, _ = exec.Command(bin, "--version").Output()
	if !strings.Contains(string(out), "9.8.7") {
		t.Errorf("dockbake --version = %q", out)
	}
}

// TestVersionFromVCS builds without -X inside the git checkout: the commit
// comes from the revision the Go toolchain stamps in.
func TestVersionFromVCS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skip("not a git checkout: nothing to stamp")
	}
	bin := filepath.Join(t.TempDir(), "dockbake")
	if out, err := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if want := "(commit " + strings.TrimSpace(string(head)); err != nil || !strings.Contains(string(out), want) {
		t.Errorf("dockbake version = %q, %v; want it to contain %q", out, err, want)
	}
}
