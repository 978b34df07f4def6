package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/dockbake/dockbake/internal/testenv"
	"github.com/dockbake/dockbake/store"
)

// writeFleet writes an inventory of n machines, each of its own CA,
// ECDSA P-256, into base/fleet.yaml.
func writeFleet(t *testing.T, base string, n int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("version: 1\nfleet: big\ndefaults:\n  os: ubuntu-24.04\n  key_type: ecdsa-p256\nmachines:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  - name: m%d\n    ip_addresses: [10.%d.%d.%d]\n", i, i/62500, i/250%250, i%250+1)
	}
	if err := os.WriteFile(filepath.Join(base, "fleet.yaml"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestFleetApplyKilled kills a real `dockbake fleet apply` of 1,000 new
// machines with SIGKILL at chosen points (strace injects the signal as the
// process enters the n-th call of a syscall): while it stages, at its
// commit, halfway through the journal's renames, and while it puts the
// user-data files in place. After each kill the store must hold every
// machine whole or none of the batch, nothing left in .staging, and a
// second apply must finish the job: every machine and file there, then
// nothing left to change.
func TestFleetApplyKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("applies 1,000 machines eight times")
	}
	strace := testenv.LookPath(t, "strace", "apt-get install strace")
	if out, err := exec.Command(strace, "-qq", "-o", os.DevNull, "true").CombinedOutput(); err != nil {
		testenv.Missing(t, "ptrace", fmt.Sprintf("strace cannot trace here (%v: %s)", err, out))
	}
	const n = 1000
	for _, kill := range []struct {
		name, syscall string
		at, want      int
	}{
		{"while staging", "mkdirat", 1200, 0},
		// The journal is renamed with renameat, the 2n directories it
		// lists are moved with renameat2 (RENAME_NOREPLACE), then the
		// user-data files with renameat.
		{"at the commit", "renameat", 1, 0},
		{"halfway through the journal", "renameat2", n, n},
		{"while the user-data files are put in place", "renameat", 1 + n/2, n},
	} {
		t.Run(kill.name, func(t *testing.T) {
			base := t.TempDir()
			writeFleet(t, base, n)
			inject := fmt.Sprintf("inject=%s:signal=KILL:when=%d", kill.syscall, kill.at)
			wrap := []string{strace, "-f", "-qq", "-o", os.DevNull, "-e", "signal=none", "-e", "trace=" + kill.syscall, "-e", inject}
			out, err := dockbakeCmd(base, wrap, "fleet", "apply", "fleet.yaml").CombinedOutput()
			if !killed(err) {
				t.Fatalf("not killed at the %d-th %s (%v):\n%.800s", kill.at, kill.syscall, err, out)
			}
			if got := wholeMachines(t, base, "big"); got != kill.want {
				t.Errorf("%d whole machines after the kill, want %d", got, kill.want)
			}
			if out, err := dockbakeCmd(base, nil, "fleet", "apply", "fleet.yaml").CombinedOutput(); err != nil {
				t.Fatalf("apply after the kill: %v\n%s", err, out)
			}
			if got := wholeMachines(t, base, "big"); got != n {
				t.Errorf("%d whole machines after the second apply, want %d", got, n)
			}
			checkFleetFiles(t, base, n)
		})
	}
}

// killed reports whether a process ended by SIGKILL.
func killed(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// wholeMachines opens the store as the next command would (it recovers
// first), checks every machine and returns how many there are, each of
// fleet (unless empty); a damaged one or anything left in .staging fails
// the test.
func wholeMachines(t *testing.T, base, fleet string) int {
	t.Helper()
	s, err := store.Open(filepath.Join(base, "store"))
	if err != nil {
		t.Fatal(err)
	}
	names, err := s.Names()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		m, problems, err := s.Check(name)
		if err != nil || len(problems) > 0 {
			t.Errorf("machine %s: %v %v", name, err, problems)
			continue
		}
		if fleet != "" && m.Fleet != fleet {
			t.Errorf("machine %s: fleet %q", name, m.Fleet)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(base, "store", ".staging")); len(entries) > 0 {
		t.Errorf(".staging holds %d entries", len(entries))
	}
	return len(names)
}

// checkFleetFiles holds the user-data directory to a completed apply:
// every machine's file, no temporary file, and a plan with no changes.
func checkFleetFiles(t *testing.T, base string, n int) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(base, "user-data"))
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	for _, e := range entries {
		switch {
		case strings.HasSuffix(e.Name(), ".dockbake-new"):
			t.Errorf("left behind: %s", e.Name())
		case strings.HasSuffix(e.Name(), ".yaml"):
			files++
		}
	}
	if files != n {
		t.Errorf("%d user-data files, want %d", files, n)
	}
	out, err := dockbakeCmd(base, nil, "fleet", "plan", "fleet.yaml").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "no changes") {
		t.Errorf("plan after the second apply (%v):\n%.500s", err, out)
	}
}
