package generator

import (
	"fmt"
	"path/filepath"
	"strings"
	"unicode"
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
	// Command is the command line to show in the usage hint.
	Command []string
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
	b.WriteString(syn.hint(ShellJoin(r.Command)))
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

// syntax is one shell's way to set and unset a variable, and its hint.
type syntax struct {
	set   func(name, value string) (string, error)
	unset func(name string) string
	hint  func(cmd string) string
}

var syntaxes = map[Shell]syntax{
	ShellBash: posix, ShellZsh: posix, ShellSh: posix,
	ShellFish: {
		set:   func(n, v string) (string, error) { return lineOf("set -gx %s %s;\n", n, v, fishQuote) },
		unset: func(n string) string { return "set -e " + n + ";\n" },
		hint:  func(c string) string { return hintLines("#", c+" | source") },
	},
	ShellPowerShell: {
		set:   func(n, v string) (string, error) { return lineOf("$Env:%s = %s\n", n, v, psQuote) },
		unset: func(n string) string { return `Remove-Item Env:\` + n + "\n" },
		hint:  func(c string) string { return hintLines("#", "& "+c+" | Invoke-Expression") },
	},
	ShellCmd: {
		set:   func(n, v string) (string, error) { return lineOf("SET %s\n", n, v, nil) },
		unset: func(n string) string { return "SET " + n + "=\n" },
		hint:  func(c string) string { return hintLines("REM", `@FOR /f "tokens=*" %i IN ('`+c+`') DO @%i`) },
	},
	ShellTcsh: {
		set:   func(n, v string) (string, error) { return lineOf("setenv %s %s;\n", n, v, cshQuote) },
		unset: func(n string) string { return "unsetenv " + n + ";\n" },
		hint:  func(c string) string { return hintLines(":", "eval `"+c+"`") },
	},
	ShellEmacs: {
		set:   func(n, v string) (string, error) { return lineOf("(setenv \"%s\" %s)\n", n, v, elispQuote) },
		unset: func(n string) string { return "(setenv \"" + n + "\" nil)\n" },
		hint: func(c string) string {
			return hintLines(";;", "(with-temp-buffer (shell-command "+elispQuote(c)+" (current-buffer)) (eval-buffer))")
		},
	},
}

var posix = syntax{
	set:   func(n, v string) (string, error) { return lineOf("export %s=%s\n", n, v, singleQuote) },
	unset: func(n string) string { return "unset " + n + "\n" },
	hint:  func(c string) string { return hintLines("#", `eval "$(`+c+`)"`) },
}

func hintLines(comment, cmd string) string {
	return comment + " Run this command to configure your shell:\n" + comment + " " + cmd + "\n"
}

// lineOf formats one assignment. A value with a control character cannot
// survive any of these shells' line-based evaluation and is refused. A nil
// quote means cmd.exe's SET "NAME=value" form.
func lineOf(format, name, value string, quote func(string) string) (string, error) {
	for _, r := range value {
		if unicode.IsControl(r) {
			return "", fmt.Errorf("value %q contains a control character", value)
		}
	}
	if quote == nil {
		if strings.ContainsAny(value, `"%`) {
			return "", fmt.Errorf("value %q contains '\"' or '%%', which cmd.exe expands: use a storage path without them", value)
		}
		return fmt.Sprintf(format, `"`+name+"="+value+`"`), nil
	}
	return fmt.Sprintf(format, name, quote(value)), nil
}

// singleQuote is POSIX quoting: nothing is special inside '...' but the
// quote itself.
func singleQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// fishQuote: inside fish's single quotes only \\ and \' are escapes.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// psQuote: PowerShell single-quoted strings double the quote.
// PowerShell also ends a single-quoted string at the typographic quotes
// U+2018 to U+201B, so each of them is doubled too.
func psQuote(s string) string {
	return "'" + strings.NewReplacer("'", "''", "\u2018", "\u2018\u2018", "\u2019", "\u2019\u2019",
		"\u201a", "\u201a\u201a", "\u201b", "\u201b\u201b").Replace(s) + "'"
}

// cshQuote: csh expands ! (history) even inside single quotes.
func cshQuote(s string) string {
	return "'" + strings.NewReplacer(`'`, `'\''`, `!`, `\!`).Replace(s) + "'"
}

// elispQuote writes an Emacs Lisp string literal.
func elispQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
