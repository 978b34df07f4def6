package generator

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Shell is a shell or editor that `dockbake env` writes for.
type Shell string

// The supported shells.
const (
	ShellBash       Shell = "bash"
	ShellZsh        Shell = "zsh"
	ShellSh         Shell = "sh"
	ShellFish       Shell = "fish"
	ShellPowerShell Shell = "powershell"
	ShellCmd        Shell = "cmd"
	ShellTcsh       Shell = "tcsh"
	ShellEmacs      Shell = "emacs"
)

// ShellNames lists the --shell values.
func ShellNames() []string {
	return []string{"bash", "zsh", "sh", "fish", "powershell", "cmd", "tcsh", "emacs"}
}

// ParseShell checks a --shell value.
func ParseShell(s string) (Shell, error) {
	for _, n := range ShellNames() {
		if s == n {
			return Shell(s), nil
		}
	}
	return "", &FieldError{Field: "shell", Value: s, Msg: "unknown shell: use one of " + joinNames(ShellNames())}
}

// DetectShell picks the shell from $SHELL's base name. It reports false when
// it had to guess, so the caller can say so.
func DetectShell(shellVar string) (Shell, bool) {
	switch base := strings.TrimSuffix(filepath.Base(shellVar), ".exe"); base {
	case "bash", "zsh", "fish", "tcsh", "sh":
		return Shell(base), true
	case "csh":
		return ShellTcsh, true
	case "pwsh", "powershell":
		return ShellPowerShell, true
	case "dash", "ash", "ksh", "mksh", "busybox":
		return ShellSh, true
	}
	return ShellBash, false
}

// EnvRequest is what `dockbake env` prints for.
type EnvRequest struct {
	Machine  string
	URL      string // DOCKER_HOST
	CertPath string // DOCKER_CERT_PATH
	Shell    Shell
	Unset    bool
	// NoProxy adds ProxyHost to NO_PROXY (or removes it with Unset),
	// starting from CurrentNoProxy.
	NoProxy        bool
	ProxyHost      string
	CurrentNoProxy string
	// Command is the command line the usage hint repeats, as typed.
	Command []string
	// Fallback is the hint's command when a word of Command cannot be
	// said safely in the shell (a storage path with a newline, say), and
	// FallbackNote, plain words, says what it leaves out. Without them
	// such a hint is left out.
	Fallback     []string
	FallbackNote string
}

type variable struct{ name, value string }

// RenderEnv prints the shell code that points the docker CLI at a machine.
func RenderEnv(r EnvRequest) (string, error) {
	syn, ok := syntaxes[r.Shell]
	if !ok {
		_, err := ParseShell(string(r.Shell))
		return "", err
	}
	vars := []variable{{"DOCKER_TLS_VERIFY", "1"}, {"DOCKER_HOST", r.URL}, {"DOCKER_CERT_PATH", r.CertPath}, {"DOCKER_MACHINE_NAME", r.Machine}}
	var b strings.Builder
	for _, v := range vars {
		if r.Unset {
			b.WriteString(syn.unset(v.name))
			continue
		}
		line, err := syn.set(v.name, v.value)
		if err != nil {
			return "", fmt.Errorf("%s cannot be written for %s: %w", v.name, r.Shell, err)
		}
		b.WriteString(line)
	}
	if r.NoProxy {
		if v := noProxy(r.CurrentNoProxy, r.ProxyHost, r.Unset); v != "" {
			line, err := syn.set("NO_PROXY", v)
			if err != nil {
				return "", fmt.Errorf("NO_PROXY cannot be written for %s: %w", r.Shell, err)
			}
			b.WriteString(line)
		} else {
			b.WriteString(syn.unset("NO_PROXY"))
		}
	}
	b.WriteString(syn.usage(r))
	return b.String(), nil
}

// noProxy adds host to a comma-separated list exactly once, or removes
// every occurrence of it. Entries are compared whole, not as substrings.
func noProxy(current, host string, remove bool) string {
	var out []string
	for _, e := range strings.Split(current, ",") {
		if e = strings.TrimSpace(e); e != "" && e != host {
			out = append(out, e)
		}
	}
	if !remove {
		out = append(out, host)
	}
	return strings.Join(out, ",")
}

// syntax is one shell's way to set and unset a variable, and to say the
// usage hint. hint reports false when a word of the command cannot be said
// safely in the shell.
type syntax struct {
	comment string
	set     func(name, value string) (string, error)
	unset   func(name string) string
	hint    func(argv []string) (string, bool)
}

var syntaxes = map[Shell]syntax{
	ShellBash: posix, ShellZsh: posix, ShellSh: posix,
	ShellFish: {
		comment: "#",
		set:     func(n, v string) (string, error) { return lineOf("set -gx %s %s;\n", n, v, quoted(fishQuote)) },
		unset:   func(n string) string { return "set -e " + n + ";\n" },
		hint:    func(argv []string) (string, bool) { return wrapWords(argv, fishWord, "", " | source") },
	},
	ShellPowerShell: {
		comment: "#",
		set:     func(n, v string) (string, error) { return lineOf("$Env:%s = %s\n", n, v, quoted(psQuote)) },
		unset:   func(n string) string { return `Remove-Item Env:\` + n + "\n" },
		hint:    func(argv []string) (string, bool) { return wrapWords(argv, psWord, "& ", " | Invoke-Expression") },
	},
	ShellCmd: {
		comment: "REM",
		set:     func(n, v string) (string, error) { return lineOf("SET %s\n", n, v, nil) },
		unset:   func(n string) string { return "SET " + n + "=\n" },
		hint: func(argv []string) (string, bool) {
			return wrapWords(argv, cmdWord, `@FOR /f "tokens=*" %i IN ('`, `') DO @%i`)
		},
	},
	ShellTcsh: {
		comment: ":",
		set:     func(n, v string) (string, error) { return lineOf("setenv %s %s;\n", n, v, cshValue) },
		unset:   func(n string) string { return "unsetenv " + n + ";\n" },
		hint:    func(argv []string) (string, bool) { return wrapWords(argv, cshWord, "eval `", "`") },
	},
	ShellEmacs: {
		comment: ";;",
		set:     func(n, v string) (string, error) { return lineOf("(setenv \"%s\" %s)\n", n, v, quoted(elispQuote)) },
		unset:   func(n string) string { return "(setenv \"" + n + "\" nil)\n" },
		hint: func(argv []string) (string, bool) {
			c, ok := joinWords(argv, posixWord)
			return "(with-temp-buffer (shell-command " + elispQuote(c) + " (current-buffer)) (eval-buffer))", ok
		},
	},
}

var posix = syntax{
	comment: "#",
	set:     func(n, v string) (string, error) { return lineOf("export %s=%s\n", n, v, quoted(singleQuote)) },
	unset:   func(n string) string { return "unset " + n + "\n" },
	hint:    func(argv []string) (string, bool) { return wrapWords(argv, posixWord, `eval "$(`, `)"`) },
}

// wrapWords quotes argv and puts it between before and after.
func wrapWords(argv []string, quote func(string) (string, bool), before, after string) (string, bool) {
	c, ok := joinWords(argv, quote)
	return before + c + after, ok
}

// usage is the hint: Command, or else Fallback with its note, or nothing
// when neither can be said safely.
func (syn syntax) usage(r EnvRequest) string {
	lead := syn.comment + " Run this command to configure your shell"
	if cmd, ok := syn.hint(r.Command); ok {
		return lead + ":\n" + syn.comment + " " + cmd + "\n"
	}
	if cmd, ok := syn.hint(r.Fallback); ok && plainWords(r.FallbackNote) {
		return lead + ", " + r.FallbackNote + ":\n" + syn.comment + " " + cmd + "\n"
	}
	return ""
}

// plainWords reports text that every shell's comment line carries as it
// is: letters, digits, spaces and _ , . -
func plainWords(s string) bool {
	return bare(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_,.- ")
}

// quoted adapts a quoting function that can say any value.
func quoted(q func(string) string) func(string) (string, error) {
	return func(s string) (string, error) { return q(s), nil }
}

// lineOf formats one assignment. A value with a control character cannot
// survive any of these shells' line-based evaluation and is refused. A nil
// quote means cmd.exe's SET "NAME=value" form.
func lineOf(format, name, value string, quote func(string) (string, error)) (string, error) {
	if hasControl(value) {
		return "", fmt.Errorf("value %q contains a control character", value)
	}
	if quote == nil {
		if strings.ContainsAny(value, `"%`) {
			return "", fmt.Errorf("value %q contains '\"' or '%%', which cmd.exe expands: use a storage path without them", value)
		}
		return fmt.Sprintf(format, `"`+name+"="+value+`"`), nil
	}
	q, err := quote(value)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(format, name, q), nil
}
