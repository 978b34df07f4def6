package generator

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// How `dockbake env` says a value or a word of the usage hint in each
// shell. Nothing in a storage path or a machine name may ever run: every
// rule here is checked against the real shell, byte for byte, by the tests
// and fuzz targets in envshell_test.go. A word that cannot be said safely
// is reported, never approximated: a value is refused with an error, a hint
// falls back to a shorter command (see EnvRequest.Fallback).

// hasControl reports a control character (newline, carriage return, escape,
// C1 controls): none survives a shell's line-based evaluation or a comment.
func hasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}

// typable reports a word of the usage hint that can be typed or pasted
// into a terminal as it is: no control character, and valid UTF-8 (bash
// drops a stray byte of an incomplete sequence from a typed line).
func typable(s string) bool {
	return !hasControl(s) && utf8.ValidString(s)
}

// bare reports a word that reads the same in the shell unquoted: only
// characters from safe, and not empty.
func bare(s, safe string) bool {
	return s != "" && strings.Trim(s, safe) == ""
}

const (
	alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	// bareChars need no quoting in bash, zsh, sh, fish and tcsh.
	bareChars = alnum + "-_./:,+@"
)

// singleQuote is POSIX quoting: nothing is special inside '...' but the
// quote itself.
func singleQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// posixWord quotes a word of the hint for bash, zsh and sh. The hint sits
// inside "$(...)", where bash's and zsh's interactive history expansion
// sees "!" even between single quotes in older releases, so "!" is written
// as \! outside them. A word starting with "=" is quoted: zsh expands =cmd.
func posixWord(s string) (string, bool) {
	if !typable(s) {
		return "", false
	}
	if bare(s, bareChars+"=%") && s[0] != '=' {
		return s, true
	}
	return strings.ReplaceAll(singleQuote(s), "!", `'\!'`), true
}

// fishQuote: inside fish's single quotes only \\ and \' are escapes.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// fishWord quotes a word of the fish hint; "%" is left quoted because
// fish expands %self.
func fishWord(s string) (string, bool) {
	if !typable(s) {
		return "", false
	}
	if bare(s, bareChars+"=") {
		return s, true
	}
	return fishQuote(s), true
}

// cshValue quotes a value for tcsh and csh, as read by `source`, by
// eval `dockbake env` and by eval "`dockbake env`". The backquote form
// is the hard one: tcsh splits the output at blanks, expands braces in the
// words and joins them again with single spaces before it parses them. So:
//   - "!" (history, even inside single quotes) is written as \! outside them;
//   - a run of spaces would shrink to one, so each space after a space is
//     preceded by two single quotes (the empty string), which keeps any
//     two spaces apart;
//   - "{" cannot be written at all: eval expands {a,b}, {} and even a lone
//     "{" whatever the quoting, so such a value is refused.
func cshValue(s string) (string, error) {
	if strings.Contains(s, "{") {
		return "", fmt.Errorf("value %q contains '{', which tcsh's eval `...` expands whatever the quoting", s)
	}
	var b strings.Builder
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'':
			b.WriteString(`'\''`)
		case c == '!':
			b.WriteString(`'\!'`)
		case c == ' ' && i > 0 && s[i-1] == ' ':
			b.WriteString(`'' `)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String(), nil
}

// cshWord quotes a word of the tcsh hint, eval `...`. Besides what
// cshValue cannot say, a backquote cannot appear inside the backquotes.
func cshWord(s string) (string, bool) {
	if !typable(s) || strings.Contains(s, "`") {
		return "", false
	}
	if bare(s, bareChars) {
		return s, true
	}
	q, err := cshValue(s)
	return q, err == nil
}

// psQuote: PowerShell single-quoted strings double the quote.
// PowerShell also ends a single-quoted string at the typographic quotes
// U+2018 to U+201B, so each of them is doubled too.
func psQuote(s string) string {
	return "'" + strings.NewReplacer("'", "''", "\u2018", "\u2018\u2018", "\u2019", "\u2019\u2019",
		"\u201a", "\u201a\u201a", "\u201b", "\u201b\u201b").Replace(s) + "'"
}

// psWord quotes a word of the PowerShell hint. Windows PowerShell drops
// the double quotes inside an argument it passes to a native program, so a
// word with one cannot be said.
func psWord(s string) (string, bool) {
	if !typable(s) || strings.ContainsAny(s, "\"\u201c\u201d\u201e") {
		return "", false
	}
	if bare(s, alnum+`-_./:\`) {
		return s, true
	}
	return psQuote(s), true
}

// cmdWord quotes a word of the cmd.exe hint, which runs inside
// FOR /f ('...'): only plain words, double-quoted when they hold a space,
// a comma or a semicolon. cmd.exe has no quoting for %, ^, &, |, <, >, (,
// ), quotes or !, so a word with one of them cannot be said.
func cmdWord(s string) (string, bool) {
	plain := alnum + `-_./:+@=\`
	if bare(s, plain) {
		return s, true
	}
	if bare(s, plain+" ,;") {
		return `"` + s + `"`, true
	}
	return "", false
}

// elispQuote writes an Emacs Lisp string literal.
func elispQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// joinWords quotes each word of argv with quote, or reports that one of
// them cannot be said.
func joinWords(argv []string, quote func(string) (string, bool)) (string, bool) {
	if len(argv) == 0 {
		return "", false
	}
	q := make([]string, len(argv))
	for i, a := range argv {
		var ok bool
		if q[i], ok = quote(a); !ok {
			return "", false
		}
	}
	return strings.Join(q, " "), true
}
