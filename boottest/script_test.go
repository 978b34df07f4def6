package boottest

import (
	"bytes"
	"testing"
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
