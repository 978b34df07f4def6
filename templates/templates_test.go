package templates

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/internal/testenv"
)

// TestDockerReleaseKeyFingerprint checks the embedded key with gpg, so a
// swapped key file cannot pass unnoticed.
func TestDockerReleaseKeyFingerprint(t *testing.T) {
	gpg := testenv.LookPath(t, "gpg", "apt-get install gpg")
	path := filepath.Join(t.TempDir(), "key.asc")
	if err := os.WriteFile(path, DockerReleaseKey(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(gpg, "--show-keys", "--with-colons", path)
	cmd.Env = append(os.Environ(), "GNUPGHOME="+t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	var fprs []string
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Split(line, ":"); f[0] == "fpr" && len(f) > 9 {
			fprs = append(fprs, f[9])
		}
	}
	if len(fprs) == 0 || fprs[0] != DockerReleaseKeyFingerprint {
		t.Errorf("primary key fingerprints %v, want %s first", fprs, DockerReleaseKeyFingerprint)
	}
}

func TestDropInLayout(t *testing.T) {
	out, err := RenderDropIn(DropIn{Machine: "m", ExecStart: "dockerd --tlsverify", Environment: []string{`"A=b c"`}})
	if err != nil {
		t.Fatal(err)
	}
	want := "ExecStart=\nExecStart=dockerd --tlsverify\nEnvironment=\"A=b c\"\n"
	if !strings.HasSuffix(string(out), want) {
		t.Errorf("drop-in:\n%s", out)
	}
}
