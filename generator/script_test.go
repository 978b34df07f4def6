package generator_test

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/internal/testenv"
)

// stubbed are the commands that would change the machine running the
// test; stubs log their argv instead.
var stubbed = []string{"systemctl", "apt-get", "dnf", "getent", "groupadd", "useradd", "usermod", "cloud-init"}

// viaShell are the stubs only reached through a plan step's sh -c, whose
// own line the log does not show.
var viaShell = []string{"getent ", "groupadd ", "useradd ", "systemctl reset-failed ", "cloud-init "}

// runner runs the script twice in a private mount namespace over an empty
// /etc (a tmpfs nobody else sees), and copies /etc out after each run. An
// empty /run with /run/systemd/system makes it a host where systemd runs.
const runner = `set -eu
mount -t tmpfs tmpfs /etc
mount -t tmpfs tmpfs /run
mkdir -p /run/systemd/system
echo 'root:x:0:0:root:/root:/bin/sh' >/etc/passwd
echo 'root:x:0:' >/etc/group
for run in 1 2; do
	echo "run $run" >>"$OUT/log"
	PATH="$OUT/stubs:$PATH" sh "$OUT/script.sh" 2>>"$OUT/stderr"
	cp -a /etc "$OUT/etc$run"
done
`

// TestScriptApplies runs every golden script for real, twice, with the
// package manager and systemd stubbed out: the files land with the plan's
// content, owner and mode, the commands run in the plan's order, and the
// second run leaves /etc exactly as the first.
func TestScriptApplies(t *testing.T) {
	testenv.Root(t, "the script test mounts a private /etc")
	unshare := testenv.LookPath(t, "unshare", "apt-get install util-linux")
	for _, c := range formatCases() {
		if c.format != generator.FormatScript {
			continue
		}
		t.Run(c.os+"/"+string(c.install), func(t *testing.T) {
			spec := c.spec()
			spec.DockerUser = "alice"
			p, err := generator.BuildPlan(spec, generator.FixtureCerts(t))
			if err != nil {
				t.Fatal(err)
			}
			script, err := generator.RenderScript(p)
			if err != nil {
				t.Fatal(err)
			}
			out := runScript(t, unshare, script)
			checkEtc(t, p, filepath.Join(out, "etc1"))
			if diff := compareTrees(t, filepath.Join(out, "etc1"), filepath.Join(out, "etc2")); diff != "" {
				t.Errorf("second run changed /etc: %s", diff)
			}
			checkCommands(t, p, out)
		})
	}
}

func runScript(t *testing.T, unshare string, script []byte) string {
	t.Helper()
	out := t.TempDir()
	stubs := filepath.Join(out, "stubs")
	if err := os.Mkdir(stubs, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range stubbed {
		// The log shows DEBIAN_FRONTEND where a command runs with it.
		stub := "#!/bin/sh\necho ${DEBIAN_FRONTEND:+DEBIAN_FRONTEND=$DEBIAN_FRONTEND} " + name + ` "$@" >>"$OUT/log"` + "\n"
		if err := os.WriteFile(filepath.Join(stubs, name), []byte(stub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(out, "script.sh"), script, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(unshare, "--mount", "--propagation", "private", "sh", "-c", runner)
	// Only what the script sets reaches the stubs.
	cmd.Env = slices.DeleteFunc(os.Environ(), func(e string) bool { return strings.HasPrefix(e, "DEBIAN_FRONTEND=") })
	cmd.Env = append(cmd.Env, "OUT="+out)
	if b, err := cmd.CombinedOutput(); err != nil {
		stderr, _ := os.ReadFile(filepath.Join(out, "stderr"))
		t.Fatalf("script failed: %v\n%s%s", err, b, stderr)
	}
	return out
}

// checkEtc finds every file of the plan, and of its repositories, in the
// copied /etc with its content and mode, and nothing left half-written.
func checkEtc(t *testing.T, p *generator.Plan, etc string) {
	t.Helper()
	files := append([]generator.File{}, p.Files...)
	for _, r := range p.Repos {
		files = append(files, r.File())
	}
	for _, f := range files {
		path := filepath.Join(etc, strings.TrimPrefix(f.Path, "/etc/"))
		got, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s not written: %v", f.Path, err)
			continue
		}
		if !bytes.Equal(got, f.Content) {
			t.Errorf("%s: content differs", f.Path)
		}
		if fi, _ := os.Stat(path); fi.Mode().Perm() != f.Mode.Perm() {
			t.Errorf("%s: mode %04o, want %04o", f.Path, fi.Mode().Perm(), f.Mode.Perm())
		}
		if dir, _ := os.Stat(filepath.Dir(path)); dir.Mode().Perm() != 0o755 {
			t.Errorf("%s: directory mode %04o, want 0755", filepath.Dir(f.Path), dir.Mode().Perm())
		}
	}
	filepath.WalkDir(etc, func(path string, d fs.DirEntry, err error) error {
		if strings.HasSuffix(path, ".dockbake-new") {
			t.Errorf("left behind: %s", path)
		}
		return err
	})
}

// checkCommands compares the stubs' log with the plan: per run, every
// step's command in order, with its environment, and the wait for
// cloud-init before the package manager.
func checkCommands(t *testing.T, p *generator.Plan, out string) {
	t.Helper()
	log, err := os.ReadFile(filepath.Join(out, "log"))
	if err != nil {
		t.Fatal(err)
	}
	runs := strings.Split(strings.TrimPrefix(string(log), "run 1\n"), "run 2\n")
	if len(runs) != 2 || runs[0] != runs[1] {
		t.Fatalf("the two runs differ:\n%s", log)
	}
	var want []string
	for _, s := range p.RunSteps() {
		if s.Argv[0] == "sh" { // runs stubs itself; its own line is not logged
			continue
		}
		want = append(want, strings.Join(append(append([]string{}, s.Env...), s.Argv...), " "))
	}
	var got []string
	waited := false
	for _, line := range strings.Split(strings.TrimSpace(runs[0]), "\n") {
		line = strings.TrimSpace(line)
		waited = waited || line == "cloud-init status --wait"
		if len(p.Packages()) > 0 && !waited && (strings.Contains(line, "apt-get ") || strings.HasPrefix(line, "dnf ")) {
			t.Errorf("%q before waiting for cloud-init", line)
		}
		if !slices.ContainsFunc(viaShell, func(p string) bool { return strings.HasPrefix(line, p) }) {
			got = append(got, line)
		}
	}
	if len(p.Packages()) > 0 && !waited {
		t.Errorf("packages installed without waiting for cloud-init:\n%s", runs[0])
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("commands:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// compareTrees describes the first difference between two copies of /etc.
func compareTrees(t *testing.T, a, b string) string {
	t.Helper()
	list := func(root string) map[string]string {
		m := map[string]string{}
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			fi, _ := d.Info()
			content, _ := os.ReadFile(path)
			rel, _ := filepath.Rel(root, path)
			m[rel] = fi.Mode().String() + " " + string(content)
			return nil
		})
		return m
	}
	ma, mb := list(a), list(b)
	for k, v := range ma {
		if mb[k] != v {
			return k + " differs"
		}
	}
	for k := range mb {
		if _, ok := ma[k]; !ok {
			return k + " appeared"
		}
	}
	return ""
}

// FuzzScriptContent writes arbitrary file content through the script's
// quoting (a here-document, or printf with a quoted word) and reads it
// back: the shell must write exactly the bytes given.
func FuzzScriptContent(f *testing.F) {
	for _, seed := range []string{"", "no newline", "DOCKBAKE_EOF\n", "a\nDOCKBAKE_EOF\nDOCKBAKE_EOF_1\nb\n",
		"it's $HOME `id` \\ %s\n", "Dé\nD\xb8\n", "'\"'\"\n\n", "-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n"} {
		f.Add(seed)
	}
	debian, _ := generator.LookupOS("debian-12")
	f.Fuzz(func(t *testing.T, content string) {
		if os.Geteuid() != 0 {
			t.Skip("the script runs as root only")
		}
		if strings.ContainsRune(content, 0) {
			return // no shell word or here-document holds NUL
		}
		path := filepath.Join(t.TempDir(), "sub dir", "file")
		p := &generator.Plan{Machine: "fuzz", URL: "tcp://192.0.2.1:2376", OS: debian,
			Files: []generator.File{{Path: path, Mode: 0o640, Owner: "root:root", Content: []byte(content)}}}
		script, err := generator.RenderScript(p)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("sh", "-s")
		cmd.Stdin = bytes.NewReader(script)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("script: %v\n%s", err, out)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != content {
			t.Fatalf("wrote %q (%v), want %q", got, err, content)
		}
	})
}
