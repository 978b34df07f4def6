package boottest

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// TestScriptUserData proves `--format script`: the same Plan as a POSIX sh
// script, given as NoCloud user-data (cloud-init runs #! parts), ends in the
// same TLS-ready dockerd.
func TestScriptUserData(t *testing.T) {
	t.Parallel()
	prove(t, baked, "--format", "script")
}

// TestScriptPiped runs the script the way `ssh HOST sudo sh -s < script`
// does, on a host that booted without dockbake's user-data, twice: the second
// run must change nothing that breaks the first.
func TestScriptPiped(t *testing.T) {
	t.Parallel()
	p := newProof(t, baked, "--format", "script")
	p.guest = bootGuest(t, p.ctx, p.image, baked, []byte("#cloud-config\n{}\n"))
	if _, err := p.guest.WaitCloudInit(p.ctx); err != nil {
		t.Fatal(err)
	}
	for run := 1; run <= 2; run++ {
		cmd := p.guest.Command(p.ctx, "sh", "-s")
		cmd.Stdin = bytes.NewReader(p.machine.userData)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("run %d: %v\n%s", run, err, out)
		}
	}
	if _, err := waitTLS(p.ctx, p.guest, p.machine); err != nil {
		t.Fatal(err)
	}
	p.checkAll(t)
}

// TestScriptInstallsAtBoot proves `--install distro --format script` as
// user-data: the script installs docker.io with apt from inside
// cloud-init's final stage. Its wait for cloud-init must see that it runs
// there and not wait for itself, which would hold it until the wait's
// 900 s timeout.
func TestScriptInstallsAtBoot(t *testing.T) {
	t.Parallel()
	p := newProof(t, installAtBoot, "--format", "script")
	p.guest = bootGuest(t, p.ctx, p.image, installAtBoot, p.machine.userData)
	ctx, cancel := context.WithTimeout(p.ctx, 450*time.Second)
	defer cancel()
	ready, err := waitTLS(ctx, p.guest, p.machine)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s script: dockerd answered over TLS %.1f s after boot", installAtBoot.name, ready.Seconds())
	p.checkAll(t)
	t.Run("docker.io was installed by the script", func(t *testing.T) {
		out, err := p.guest.Run(p.ctx, "dpkg-query", "-W", "-f", "${Status}", "docker.io")
		if err != nil || out != "install ok installed" {
			t.Errorf("docker.io in the guest: %q, %v", out, err)
		}
	})
}
