package generator

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/internal/testenv"
)

func envReq(sh Shell) EnvRequest {
	return EnvRequest{
		Machine: "web1", URL: "tcp://203.0.113.10:2376", CertPath: "/home/u/.docker/dockbake/machines/web1",
		Shell: sh, Command: []string{"dockbake", "env", "web1"},
	}
}

func TestEnvGolden(t *testing.T) {
	for _, name := range ShellNames() {
		sh := Shell(name)
		for _, unset := range []bool{false, true} {
			r := envReq(sh)
			r.Unset = unset
			file := name + ".golden"
			if unset {
				file = name + "-unset.golden"
			}
			out, err := RenderEnv(r)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "env/"+file, []byte(out))
		}
	}
}

func TestNoProxy(t *testing.T) {
	for _, tc := range []struct{ current, want string }{
		{"", "203.0.113.1"},
		{"localhost", "localhost,203.0.113.1"},
		{"localhost,203.0.113.1", "localhost,203.0.113.1"},
		{"203.0.113.10", "203.0.113.10,203.0.113.1"}, // not a substring match
		{"203.0.113.1,localhost,203.0.113.1", "localhost,203.0.113.1"},
	} {
		if got := noProxy(tc.current, "203.0.113.1", false); got != tc.want {
			t.Errorf("add to %q = %q, want %q", tc.current, got, tc.want)
		}
	}
	if got := noProxy("localhost,203.0.113.1", "203.0.113.1", true); got != "localhost" {
		t.Errorf("remove = %q", got)
	}
	r := envReq(ShellBash)
	r.NoProxy, r.ProxyHost, r.CurrentNoProxy = true, "203.0.113.10", "localhost"
	out, _ := RenderEnv(r)
	if !strings.Contains(out, "export NO_PROXY='localhost,203.0.113.10'\n") {
		t.Errorf("output:\n%s", out)
	}
	r.Unset, r.CurrentNoProxy = true, "203.0.113.10"
	out, _ = RenderEnv(r)
	if !strings.Contains(out, "unset NO_PROXY\n") {
		t.Errorf("unset output:\n%s", out)
	}
}

func TestDetectShell(t *testing.T) {
	for in, want := range map[string]Shell{"/bin/bash": ShellBash, "/usr/bin/zsh": ShellZsh, "/usr/bin/fish": ShellFish,
		"/bin/tcsh": ShellTcsh, "/bin/csh": ShellTcsh, "/usr/bin/pwsh": ShellPowerShell, "/bin/dash": ShellSh} {
		if got, ok := DetectShell(in); got != want || !ok {
			t.Errorf("DetectShell(%q) = %q, %v", in, got, ok)
		}
	}
	if got, ok := DetectShell(""); ok || got != ShellBash {
		t.Errorf("empty $SHELL: %q, %v", got, ok)
	}
	if _, err := ParseShell("nushell"); err == nil || !strings.Contains(err.Error(), "shell \"nushell\"") {
		t.Errorf("ParseShell error = %v", err)
	}
}

// hostilePath is a storage path every shell must carry through unchanged.
const hostilePath = `/tmp/it's a "dir" with $HOME and ` + "`cmd`" + ` and \back\ and !bang and  two  spaces/*`

// TestEnvSurvivesRealShells evaluates the output in each installed shell
// and reads the variables back.
func TestEnvSurvivesRealShells(t *testing.T) {
	for _, tc := range []struct {
		shell Shell
		prog  string
		argv  func(script string) []string
		print string
	}{
		{ShellBash, "bash", func(s string) []string { return []string{"-c", s} }, `printf '%s\n' "$DOCKER_CERT_PATH" "$DOCKER_HOST"`},
		{ShellSh, "sh", func(s string) []string { return []string{"-c", s} }, `printf '%s\n' "$DOCKER_CERT_PATH" "$DOCKER_HOST"`},
		{ShellZsh, "zsh", func(s string) []string { return []string{"-c", s} }, `printf '%s\n' "$DOCKER_CERT_PATH" "$DOCKER_HOST"`},
		{ShellFish, "fish", func(s string) []string { return []string{"-c", s} }, `printf '%s\n' "$DOCKER_CERT_PATH" "$DOCKER_HOST"`},
		{ShellTcsh, "tcsh", func(s string) []string { return []string{"-f", "-c", s} }, `printenv DOCKER_CERT_PATH; printenv DOCKER_HOST`},
	} {
		t.Run(string(tc.shell), func(t *testing.T) {
			prog := testenv.LookPath(t, tc.prog, "apt-get install "+tc.prog)
			r := envReq(tc.shell)
			r.CertPath = hostilePath
			out, err := RenderEnv(r)
			if err != nil {
				t.Fatal(err)
			}
			script := filepath.Join(t.TempDir(), "env")
			if err := os.WriteFile(script, []byte(out+tc.print+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			src := map[Shell]string{ShellFish: "source ", ShellTcsh: "source "}[tc.shell]
			if src == "" {
				src = ". "
			}
			got, err := exec.Command(prog, tc.argv(src+script)...).CombinedOutput()
			want := hostilePath + "\ntcp://203.0.113.10:2376\n"
			if err != nil || string(got) != want {
				t.Errorf("%s printed %q (%v), want %q\nscript:\n%s", tc.prog, got, err, want, out)
			}
		})
	}
}

func TestEnvRefusesWhatCannotBeSaid(t *testing.T) {
	r := envReq(ShellBash)
	r.CertPath = "/tmp/a\nb"
	if _, err := RenderEnv(r); err == nil {
		t.Error("newline in path accepted")
	}
	r = envReq(ShellTcsh)
	r.CertPath = "/tmp/{a,b}"
	if _, err := RenderEnv(r); err == nil || !strings.Contains(err.Error(), "tcsh's eval") {
		t.Errorf("tcsh with {: %v", err)
	}
	r = envReq(ShellCmd)
	r.CertPath = `C:\100%`
	if _, err := RenderEnv(r); err == nil || !strings.Contains(err.Error(), "cmd.exe") {
		t.Errorf("cmd with %%: %v", err)
	}
}

func TestPowerShellTypographicQuotes(t *testing.T) {
	// PowerShell closes a single-quoted string at ’ as well as at '.
	got := psQuote("C:\\Users\\O’Brien's")
	if want := "'C:\\Users\\O’’Brien''s'"; got != want {
		t.Errorf("psQuote = %s, want %s", got, want)
	}
}

// TestEnvHintFallback: in every shell, including those not installed here,
// a typed command that cannot be said in a comment line gives way to the
// fallback, and with no fallback the hint is left out; either way every
// line of the output is one of env's own.
func TestEnvHintFallback(t *testing.T) {
	hostile := "/x\n(shell-command \"touch pwned\")\r\ntouch pwned #"
	for _, name := range ShellNames() {
		t.Run(name, func(t *testing.T) {
			r := envReq(Shell(name))
			r.Unset = true
			r.Command = []string{"dockbake", "--storage-path", hostile, "env", "--unset"}
			r.Fallback, r.FallbackNote = []string{"dockbake", "env", "--unset"}, "with the storage path in DOCKBAKE_STORAGE_PATH"
			out, err := RenderEnv(r)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			comment := syntaxes[Shell(name)].comment
			if len(lines) != 6 || strings.Contains(out, "pwned") || strings.Contains(out, "\r") ||
				lines[4] != comment+" Run this command to configure your shell, with the storage path in DOCKBAKE_STORAGE_PATH:" ||
				!strings.Contains(lines[5], "dockbake env --unset") {
				t.Errorf("output:\n%s", out)
			}
			r.Fallback = nil
			if out, _ := RenderEnv(r); strings.Count(out, "\n") != 4 || strings.Contains(out, "Run this command") {
				t.Errorf("without a fallback:\n%s", out)
			}
		})
	}
}

// TestHintWordsWithoutRealShell covers the hint quoting of the shells not
// installed here, PowerShell and cmd.exe, by their documented rules.
func TestHintWordsWithoutRealShell(t *testing.T) {
	for _, tc := range []struct {
		quote func(string) (string, bool)
		in    string
		want  string // "" when the word cannot be said
	}{
		{psWord, `C:\Users\me\.docker`, `C:\Users\me\.docker`},
		{psWord, `C:\Program Files\store`, `'C:\Program Files\store'`},
		{psWord, "it's $HOME", `'it''s $HOME'`},
		{psWord, "--%", `'--%'`}, // PowerShell's stop-parsing token
		{psWord, `say "hi"`, ""},
		{psWord, "a\nb", ""},
		{cmdWord, `C:\Users\me`, `C:\Users\me`},
		{cmdWord, `C:\My Store`, `"C:\My Store"`},
		{cmdWord, "100%", ""},
		{cmdWord, "a&b", ""},
		{cmdWord, "it's", ""},
		{cmdWord, "(x)", ""},
	} {
		got, ok := tc.quote(tc.in)
		if !ok {
			got = ""
		}
		if got != tc.want {
			t.Errorf("quote(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
}
