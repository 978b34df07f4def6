package generator

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dockbake/dockbake/internal/testenv"
)

// realShell is an installed shell and the ways people feed it env's output.
type realShell struct {
	shell Shell
	// run is the argv that runs a script (appended) without reading any
	// startup file; tty is an interactive shell reading typed lines from
	// stdin, which is where history expansion happens.
	run, tty []string
	// evals are the scripts that evaluate the output in file OUT, as the
	// usage hint and habit type them; the harness appends the environment
	// dump.
	evals []string
}

var realShells = []realShell{
	{ShellBash, []string{"bash", "--norc", "--noprofile", "-c"}, []string{"bash", "--norc", "--noprofile", "-i"},
		[]string{`eval "$(cat OUT)"`, `. OUT`}},
	{ShellZsh, []string{"zsh", "-f", "-c"}, []string{"zsh", "-f", "-i"}, []string{`eval "$(cat OUT)"`}},
	{ShellSh, []string{"sh", "-c"}, []string{"sh", "-i"}, []string{`eval "$(cat OUT)"`}},
	{ShellFish, []string{"fish", "--no-config", "-c"}, []string{"fish", "--no-config"}, []string{`cat OUT | source`, `source OUT`}},
	{ShellTcsh, []string{"tcsh", "-f", "-c"}, []string{"tcsh", "-f", "-i"},
		[]string{"eval `cat OUT`", "eval \"`cat OUT`\"", "source OUT"}},
}

// lookShell finds the shell or skips (fails in CI) the test.
func lookShell(t testing.TB, sh Shell) realShell {
	t.Helper()
	for _, rs := range realShells {
		if rs.shell == sh {
			testenv.LookPath(t, rs.run[0], "apt-get install -y "+rs.run[0])
			return rs
		}
	}
	t.Fatalf("no real shell for %s", sh)
	return realShell{}
}

// envRun is one evaluation: the files and directories it may touch.
type envRun struct {
	dir   string // a plain path, so that scripts can name the files bare
	work  string // the shell's working directory, which must stay empty
	rec   string // the recorder: a program that adds its argv to dir/argv
	start []string
}

func newEnvRun(t testing.TB) *envRun {
	t.Helper()
	dir, err := os.MkdirTemp("", "dockbake-env")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if !bare(dir, bareChars) {
		t.Fatalf("temporary directory %q needs quoting; set TMPDIR to a plain path", dir)
	}
	r := &envRun{dir: dir, work: filepath.Join(dir, "work"), rec: filepath.Join(dir, "rec")}
	script := "#!/bin/sh\n{ printf '%s\\0' $#; for a; do printf '%s\\0' \"$a\"; done; } >> " + filepath.Join(dir, "argv") + "\n"
	if err := os.WriteFile(r.rec, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	// The variables env unsets are set beforehand, to see them go.
	r.start = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + filepath.Join(dir, "home"), "LANG=C.UTF-8",
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "home"), "XDG_DATA_HOME=" + filepath.Join(dir, "home"), "TERM=dumb",
		"DOCKER_TLS_VERIFY=old", "DOCKER_HOST=old", "DOCKER_CERT_PATH=old", "DOCKER_MACHINE_NAME=old"}
	return r
}

// shell runs argv with stdin in a fresh, empty working directory, and
// fails the test if anything was left in it.
func (r *envRun) shell(t testing.TB, argv []string, stdin string) (stdout, stderr []byte, err error) {
	t.Helper()
	for _, d := range []string{r.work, filepath.Join(r.dir, "home")} {
		os.RemoveAll(d)
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir, cmd.Env, cmd.Stdin = r.work, r.start, strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	if left, _ := os.ReadDir(r.work); len(left) > 0 {
		t.Errorf("%v left %s in its working directory: something in the output ran", argv, left[0].Name())
	}
	return o.Bytes(), e.Bytes(), err
}

// rendered is one output of env and the variables it must leave.
type rendered struct {
	out  string
	want map[string]string
	req  EnvRequest
}

// eval evaluates the outputs one after the other, in every way people do,
// and checks the variables after each, byte for byte. Anything on stdout
// or stderr, a failure, or a run of the recorder fails the test.
func (r *envRun) eval(t testing.TB, rs realShell, outs []rendered) {
	t.Helper()
	for _, form := range rs.evals {
		var script strings.Builder
		for i, o := range outs {
			file := filepath.Join(r.dir, fmt.Sprint("out", i))
			if err := os.WriteFile(file, []byte(o.out), 0o600); err != nil {
				t.Fatal(err)
			}
			dump := filepath.Join(r.dir, fmt.Sprint("dump", i))
			os.Remove(dump)
			fmt.Fprintf(&script, "%s\nenv -0 > %s\n", strings.ReplaceAll(form, "OUT", file), dump)
		}
		stdout, stderr, err := r.shell(t, append(slices.Clone(rs.run), script.String()), "")
		if err != nil || len(stdout)+len(stderr) > 0 {
			t.Errorf("%s: %s: %v\nstdout: %q\nstderr: %q\noutput:\n%s", rs.shell, form, err, stdout, stderr, outs[0].out)
		}
		if calls := r.calls(t); len(calls) > 0 {
			t.Errorf("%s: %s ran the hint's command %q\noutput:\n%s", rs.shell, form, calls, outs[0].out)
		}
		for i, o := range outs {
			env, err := os.ReadFile(filepath.Join(r.dir, fmt.Sprint("dump", i)))
			if err != nil {
				t.Fatalf("%s: %s wrote no environment: %v\noutput:\n%s", rs.shell, form, err, o.out)
			}
			vars := map[string]string{}
			for _, kv := range bytes.Split(bytes.TrimSuffix(env, []byte{0}), []byte{0}) {
				if k, v, ok := strings.Cut(string(kv), "="); ok && strings.HasPrefix(k, "DOCKER_") {
					vars[k] = v
				}
			}
			if fmt.Sprint(vars) != fmt.Sprint(o.want) {
				t.Errorf("%s: %s ended with %q, want %q\noutput:\n%s", rs.shell, form, vars, o.want, o.out)
			}
		}
	}
}

// calls returns the argv of each run of the recorder, and forgets them.
func (r *envRun) calls(t testing.TB) [][]string {
	t.Helper()
	file := filepath.Join(r.dir, "argv")
	b, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		t.Fatal(err)
	}
	os.Remove(file)
	var calls [][]string
	words := strings.Split(string(b), "\x00")
	for len(words) > 1 {
		n, err := strconv.Atoi(words[0])
		if err != nil || n+1 >= len(words) {
			t.Fatalf("recorder wrote %q", b)
		}
		calls, words = append(calls, words[1:n+1]), words[n+1:]
	}
	return calls
}

// typeHints types each output's hint into one interactive shell and
// checks that it runs the command as typed, or the fallback when the
// command cannot be said in the shell.
func (r *envRun) typeHints(t testing.TB, rs realShell, outs []rendered) {
	t.Helper()
	var typed strings.Builder
	var want [][]string
	prefix := syntaxes[rs.shell].comment + " "
	for _, o := range outs {
		lines := strings.Split(strings.TrimSuffix(o.out, "\n"), "\n")
		if len(lines) < 2 || !strings.HasPrefix(lines[len(lines)-2], prefix+"Run this command") {
			t.Errorf("%s: no usage hint in\n%s", rs.shell, o.out)
			continue
		}
		typed.WriteString(strings.TrimPrefix(lines[len(lines)-1], prefix) + "\n")
		w := o.req.Command
		if !wantHintWord(rs.shell, w[2]) {
			w = o.req.Fallback
		}
		want = append(want, w[1:])
	}
	r.shell(t, rs.tty, typed.String())
	if got := r.calls(t); fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Errorf("%s: typing the hints ran %q, want %q\ntyped:\n%s", rs.shell, got, want, typed.String())
	}
}

// wantValue reports whether env must say v in the shell: anything but a
// control character and, for tcsh, "{" (see cshValue).
func wantValue(sh Shell, v string) bool {
	return !hasControl(v) && !(sh == ShellTcsh && strings.Contains(v, "{"))
}

// wantHintWord reports whether the hint must repeat the word as typed:
// valid UTF-8, and for tcsh no backquote either.
func wantHintWord(sh Shell, w string) bool {
	return wantValue(sh, w) && utf8.ValidString(w) && !(sh == ShellTcsh && strings.Contains(w, "`"))
}

// checkEnv renders env for a storage path and a machine name, set and
// then unset, and checks what the real shell ends with.
func checkEnv(t *testing.T, rs realShell, storage, name string) {
	t.Helper()
	r := newEnvRun(t)
	var outs []rendered
	for _, unset := range []bool{false, true} {
		req := EnvRequest{Shell: rs.shell, Unset: unset, Machine: name, URL: "tcp://203.0.113.10:2376",
			CertPath: storage + "/machines/" + name, Fallback: []string{r.rec, "env", name},
			FallbackNote: "with DOCKBAKE_STORAGE_PATH set"}
		req.Command = []string{r.rec, "--storage-path", storage, "env", name, "--shell", string(rs.shell)}
		want := map[string]string{"DOCKER_TLS_VERIFY": "1", "DOCKER_HOST": req.URL, "DOCKER_CERT_PATH": req.CertPath, "DOCKER_MACHINE_NAME": name}
		if unset {
			req.Command = append(req.Command, "--unset")
			want = map[string]string{}
		}
		out, err := RenderEnv(req)
		switch {
		case err != nil && (unset || wantValue(rs.shell, req.CertPath)):
			t.Errorf("%s refused storage path %q, name %q, unset %v: %v", rs.shell, storage, name, unset, err)
		case err == nil && !unset && !wantValue(rs.shell, req.CertPath):
			t.Errorf("%s accepted storage path %q, which it cannot say:\n%s", rs.shell, storage, out)
		case err == nil:
			outs = append(outs, rendered{out, want, req})
		}
	}
	if len(outs) > 0 {
		r.eval(t, rs, outs)
		r.typeHints(t, rs, outs)
	}
}
