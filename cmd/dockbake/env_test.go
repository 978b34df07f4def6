package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dockbake/dockbake/internal/testenv"
)

// envShell is a real shell, how env's output is evaluated in it, and an
// interactive shell to type the usage hint into.
type envShell struct {
	name        string
	run, tty    []string
	eval        string // OUT is the file with env's output
	noBraces    bool   // tcsh: a value with "{" is refused
	noBackquote bool   // tcsh: a hint word with "`" falls back
}

var envShells = []envShell{
	{name: "bash", run: []string{"bash", "--norc", "--noprofile", "-c"}, tty: []string{"bash", "--norc", "--noprofile", "-i"}, eval: `eval "$(cat OUT)"`},
	{name: "zsh", run: []string{"zsh", "-f", "-c"}, tty: []string{"zsh", "-f", "-i"}, eval: `eval "$(cat OUT)"`},
	{name: "sh", run: []string{"sh", "-c"}, tty: []string{"sh", "-i"}, eval: `eval "$(cat OUT)"`},
	{name: "fish", run: []string{"fish", "--no-config", "-c"}, tty: []string{"fish", "--no-config"}, eval: `cat OUT | source`},
	{name: "tcsh", run: []string{"tcsh", "-f", "-c"}, tty: []string{"tcsh", "-f", "-i"}, eval: "eval `cat OUT`", noBraces: true, noBackquote: true},
}

// TestEnvHostileStoragePath is the security test of `dockbake env` as
// typed: with a storage path full of what shells interpret, the real shell
// ends with exactly the variables, runs nothing from the path, and the
// hint, typed, runs dockbake with the arguments as they were typed (or,
// where the path cannot be quoted, without it).
func TestEnvHostileStoragePath(t *testing.T) {
	r := newRecorder(t)
	names := []string{"web1", "A-b_c.d", "9"}
	for i, seg := range []string{"a\ntouch pwned\n", "$(touch pwned)", "`touch pwned`", ";touch pwned;#", "!!x!touch",
		"{a,b}", `it's "q" \ `, "two  spaces", "100%", "\xff\xfe(", "\x1b[31m", "~"} {
		store, name := filepath.Join(r.dir, "stores", fmt.Sprint(i), seg), names[i%len(names)]
		if _, stderr, code := runCLI(r.rec, "--storage-path", store, "create", name, "--ip", "203.0.113.10"); code != 0 {
			t.Fatalf("create in %q: %s", store, stderr)
		}
		for _, sh := range envShells {
			t.Run(fmt.Sprintf("%d/%s", i, sh.name), func(t *testing.T) {
				testenv.LookPath(t, sh.run[0], "apt-get install -y "+sh.run[0])
				r.check(t, sh, store, name)
			})
		}
	}
}

// recorder stands in for dockbake when the hint is typed: bin/dockbake
// appends its argv to bin/argv.
type recorder struct{ dir, bin, rec string }

func newRecorder(t *testing.T) *recorder {
	dir := plainTempDir(t)
	r := &recorder{dir: dir, bin: filepath.Join(dir, "bin"), rec: filepath.Join(dir, "bin", "dockbake")}
	script := "#!/bin/sh\n{ printf '%s\\0' $#; for a; do printf '%s\\0' \"$a\"; done; } >> " + filepath.Join(r.bin, "argv") + "\n"
	if err := os.Mkdir(r.bin, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(r.rec, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return r
}

// check runs env set and unset, with the global flag before and after
// the command, and checks what the shell makes of each output.
func (r *recorder) check(t *testing.T, sh envShell, store, name string) {
	certs := filepath.Join(store, "machines", name)
	set := map[string]string{"DOCKER_TLS_VERIFY": "1", "DOCKER_HOST": "tcp://203.0.113.10:2376", "DOCKER_CERT_PATH": certs, "DOCKER_MACHINE_NAME": name}
	sayable := !strings.ContainsFunc(certs, unicode.IsControl) && !(sh.noBraces && strings.Contains(certs, "{"))
	typable := sayable && utf8.ValidString(store) && !(sh.noBackquote && strings.Contains(store, "`"))
	for _, tc := range []struct {
		args, plain []string
		want        map[string]string
	}{
		{[]string{"--storage-path", store, "env", "--shell", sh.name, name}, []string{"env", "--shell", sh.name, name}, set},
		{[]string{"--storage-path", store, "env", "--shell", sh.name, "--unset"}, []string{"env", "--shell", sh.name, "--unset"}, map[string]string{}},
		{[]string{"env", name, "-u", "--storage-path", store, "--shell", sh.name}, []string{"env", "--shell", sh.name, "--unset", name}, map[string]string{}},
	} {
		out, stderr, code := runCLI(r.rec, tc.args...)
		if len(tc.want) > 0 && !sayable {
			if code == 0 || !strings.Contains(stderr, "dockbake: hint: use a storage path (--storage-path) without such characters") {
				t.Errorf("env in %q: exit %d, stderr %q; want it refused with a hint", store, code, stderr)
			}
			continue
		}
		if code != 0 {
			t.Errorf("env %q: exit %d\n%s", tc.args, code, stderr)
			continue
		}
		if got := r.eval(t, sh, out); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s ended with %q, want %q\noutput:\n%s", sh.name, got, tc.want, out)
		}
		want := tc.args
		if !typable {
			want = tc.plain
		}
		if got := r.typeHint(t, sh, out); !slices.Equal(got, want) {
			t.Errorf("typing the hint ran dockbake %q, want %q\noutput:\n%s", got, want, out)
		}
	}
}

// eval evaluates out as people do and returns the DOCKER_ variables the
// shell ends with; any output, failure or run of the recorder fails.
func (r *recorder) eval(t *testing.T, sh envShell, out string) map[string]string {
	t.Helper()
	file, dump := filepath.Join(r.dir, "out"), filepath.Join(r.dir, "dump")
	if err := os.WriteFile(file, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Remove(dump)
	script := strings.ReplaceAll(sh.eval, "OUT", file) + "\nenv -0 > " + dump + "\n"
	stdout, stderr, err := r.shell(t, append(slices.Clone(sh.run), script), "")
	if err != nil || len(stdout)+len(stderr) > 0 {
		t.Errorf("%s: %v\nstdout: %q\nstderr: %q\noutput:\n%s", sh.eval, err, stdout, stderr, out)
	}
	if calls := r.calls(t); calls != nil {
		t.Errorf("%s ran dockbake %q\noutput:\n%s", sh.eval, calls, out)
	}
	b, err := os.ReadFile(dump)
	if err != nil {
		t.Fatalf("%s wrote no environment: %v", sh.eval, err)
	}
	vars := map[string]string{}
	for _, kv := range strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "DOCKER_") {
			vars[k] = v
		}
	}
	return vars
}

// typeHint types the hint's command line into an interactive shell and
// returns the arguments dockbake was run with.
func (r *recorder) typeHint(t *testing.T, sh envShell, out string) []string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) < 2 || !strings.Contains(lines[len(lines)-2], " Run this command to configure your shell") {
		t.Errorf("no usage hint in\n%s", out)
		return nil
	}
	_, cmd, _ := strings.Cut(lines[len(lines)-1], " ") // after the comment marker
	r.shell(t, sh.tty, cmd+"\n")
	calls := r.calls(t)
	if len(calls) != 1 {
		t.Errorf("typing %q ran dockbake %d times", cmd, len(calls))
		return nil
	}
	return calls[0]
}

// calls returns the argv of each run of the recorder, and forgets them.
func (r *recorder) calls(t *testing.T) [][]string {
	t.Helper()
	file := filepath.Join(r.bin, "argv")
	b, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	os.Remove(file)
	var calls [][]string
	words := strings.Split(string(b), "\x00")
	for len(words) > 1 {
		var n int
		if _, err := fmt.Sscan(words[0], &n); err != nil || n+1 >= len(words) {
			t.Fatalf("recorder wrote %q", b)
		}
		calls, words = append(calls, words[1:n+1]), words[n+1:]
	}
	return calls
}

// shell runs argv in an empty working directory, with the recorder first
// on PATH, and fails the test if anything appears in that directory.
func (r *recorder) shell(t *testing.T, argv []string, stdin string) (stdout, stderr []byte, err error) {
	t.Helper()
	home, work := filepath.Join(r.dir, "home"), filepath.Join(r.dir, "work")
	for _, d := range []string{home, work} {
		os.RemoveAll(d)
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir, cmd.Stdin = work, strings.NewReader(stdin)
	cmd.Env = []string{"PATH=" + r.bin + ":" + os.Getenv("PATH"), "HOME=" + home, "XDG_CONFIG_HOME=" + home, "XDG_DATA_HOME=" + home,
		"LANG=C.UTF-8", "TERM=dumb", "DOCKER_TLS_VERIFY=old", "DOCKER_HOST=old", "DOCKER_CERT_PATH=old", "DOCKER_MACHINE_NAME=old"}
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	if left, _ := os.ReadDir(work); len(left) > 0 {
		t.Errorf("%s left %q in its working directory: something in the output ran", argv[0], left[0].Name())
	}
	return o.Bytes(), e.Bytes(), err
}

func runCLI(argv0 string, args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	code := run(append([]string{argv0}, args...), &proc{stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return map[string]string{"SHELL": "/bin/bash"}[k] }})
	return out.String(), errb.String(), code
}

// plainTempDir is a temporary directory whose path needs no quoting, so
// that scripts can name it bare.
func plainTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "dockbake-env")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if strings.Trim(dir, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./") != "" {
		t.Fatalf("temporary directory %q needs quoting; set TMPDIR to a plain path", dir)
	}
	return dir
}
