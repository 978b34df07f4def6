package generator

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// systemd reads an ExecStart= line in three passes (systemd.service(5),
// "Command lines"; systemd.unit(5), "Specifiers"): %-specifiers are expanded,
// then the line is split into words with C-style escapes inside quotes,
// then $VAR and ${VAR} are substituted in each word. Each pass has its own
// escape, and quoteExecArg applies all three so that the daemon receives
// exactly the string the user gave.

// checkSystemdValue refuses what no systemd line can carry.
func checkSystemdValue(v string) error {
	if !utf8.ValidString(v) {
		return errors.New("not valid UTF-8")
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return errors.New("contains a newline, tab or other control character, which a systemd unit line cannot carry")
		}
	}
	return nil
}

// safeWord is true for words that need no quoting at all.
func safeWord(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("-_./:=,+@[]", r):
		default:
			return false
		}
	}
	return true
}

// quoteSystemd double-quotes s for a unit file, escaping backslash, the
// quote itself and %; with dollar set, also $ (for Exec lines, where systemd
// substitutes variables).
func quoteSystemd(s string, dollar bool) string {
	if safeWord(s) {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '%':
			b.WriteString("%%")
		case '$':
			if dollar {
				b.WriteString("$$")
			} else {
				b.WriteRune(r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// quoteExecArg quotes one argument of an ExecStart= command line.
func quoteExecArg(s string) string { return quoteSystemd(s, true) }

// quoteEnvironment quotes one NAME=value assignment of Environment=.
func quoteEnvironment(s string) string { return quoteSystemd(s, false) }

// ExecLine joins argv into an ExecStart= value that systemd splits back
// into exactly argv.
func ExecLine(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = quoteExecArg(a)
	}
	return strings.Join(q, " ")
}
