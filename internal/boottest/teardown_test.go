package boottest

import (
	"os"
	"syscall"
	"testing"
	"time"
)

// minimalUserData lets a guest boot without touching Docker.
var minimalUserData = []byte("#cloud-config\n{}\n")

// TestCloseLeavesNothing closes a guest in the middle of its boot, as a
// failing test does, and checks that no process, mount, cgroup or run
// directory is left.
func TestCloseLeavesNothing(t *testing.T) {
	t.Parallel()
	Require(t)
	ctx := testContext(t)
	img := buildImage(t, ctx, baked)
	g, err := Boot(ctx, img, BootOptions{UserData: minimalUserData, RunRoot: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	nspawn, cgroups := g.cmd.Process.Pid, g.cgroups
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	assertGone(t, g, nspawn, cgroups)
	if _, err := os.Stat(g.RunDir); !os.IsNotExist(err) {
		t.Errorf("run directory %s still exists (%v)", g.RunDir, err)
	}
}

// TestSweepAfterCrash leaves a guest the way a test process killed with
// SIGKILL does at worst (nspawn gone; the orphaned guest, its overlay and
// cgroups still there) and checks that Sweep, which Boot runs first, cleans
// up.
func TestSweepAfterCrash(t *testing.T) {
	t.Parallel()
	Require(t)
	ctx := testContext(t)
	img := buildImage(t, ctx, baked)
	runRoot := t.TempDir()
	g, err := Boot(ctx, img, BootOptions{UserData: minimalUserData, RunRoot: runRoot})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	nspawn, cgroups := g.cmd.Process.Pid, g.cgroups
	syscall.Kill(nspawn, syscall.SIGKILL)
	select {
	case <-g.Exited():
	case <-time.After(30 * time.Second):
		t.Fatal("systemd-nspawn survived SIGKILL")
	}
	if mounts, _ := mountsUnder(g.RunDir); len(mounts) == 0 {
		t.Fatal("the overlay is already gone: this test simulates nothing")
	}
	// While its owner lives, Sweep leaves the run alone.
	if err := Sweep(runRoot); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(g.RunDir); err != nil {
		t.Fatalf("Sweep removed a run whose owner still holds it: %v", err)
	}
	// A dead test process drops its owner lock with it.
	g.release()
	if err := Sweep(runRoot); err != nil {
		t.Fatal(err)
	}
	assertGone(t, g, nspawn, cgroups)
	if _, err := os.Stat(g.RunDir); !os.IsNotExist(err) {
		t.Errorf("run directory %s still exists (%v)", g.RunDir, err)
	}
}

// TestCloseKeepsRunDir checks that a kept run directory survives Close (and
// a later Sweep) with the evidence in it, but without mounts or processes.
func TestCloseKeepsRunDir(t *testing.T) {
	t.Parallel()
	Require(t)
	ctx := testContext(t)
	img := buildImage(t, ctx, baked)
	runRoot := t.TempDir()
	g, err := Boot(ctx, img, BootOptions{UserData: minimalUserData, RunRoot: runRoot, Keep: true})
	if err != nil {
		t.Fatal(err)
	}
	nspawn, cgroups := g.cmd.Process.Pid, g.cgroups
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	assertGone(t, g, nspawn, cgroups)
	if err := Sweep(runRoot); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"console.log", "user-data", "upper"} {
		if _, err := os.Stat(g.RunDir + "/" + f); err != nil {
			t.Errorf("kept run directory lacks %s: %v", f, err)
		}
	}
}

func assertGone(t *testing.T, g *Guest, nspawn int, cgroups []string) {
	t.Helper()
	for _, pid := range []int{nspawn, g.Leader()} {
		if processRuns(pid) {
			t.Errorf("process %d still runs", pid)
		}
	}
	if mounts, err := mountsUnder(g.RunDir); err != nil || len(mounts) > 0 {
		t.Errorf("still mounted: %q (%v)", mounts, err)
	}
	for _, dir := range cgroups {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("cgroup %s still exists (%v)", dir, err)
		}
	}
	if _, err := os.Stat("/run/systemd/nspawn/propagate/" + g.Name); !os.IsNotExist(err) {
		t.Errorf("nspawn's propagation directory for %s still exists (%v)", g.Name, err)
	}
}
