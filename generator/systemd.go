package generator

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// systemd reads an ExecStart= line in three passes (systemd.service(5),
// "Command lines"; systemd.unit(5), "Specifiers"): the line is split into
// words, with quotes and C escapes; %-specifiers are expanded in each word;
// at start, $VAR and ${VAR} are substituted. (Older releases
// expanded specifiers over the whole line first; the escapes work in either
// order, since no pass's escape yields another pass's special character.)
// Each pass has its own escape, and quoteExecArg applies all three so that
// the daemon receives exactly the string the user gave. Environment= has the
// first two passes only.
//
// A $VAR that stands alone as a word is split once more when the command
// starts: at white space, honouring quotes and backslashes but no C escapes
// and no variables (replace_env_argv with EXTRACT_UNQUOTE|EXTRACT_RELAX, in
// systemd 252 as in current releases). Flatcar's docker.service takes its
// flags that way, from $DOCKER_OPTS; quoteVarWord escapes for that pass.
//
// The limits below are systemd's and Linux's. The boot test checks each of
// them against the real systemd of a Debian 12 guest (systemd 252).
const (
	// maxUnitLine is the longest line systemd reads from a unit file:
	// read_line() stops with ENOBUFS once a line reaches LONG_LINE_MAX
	// (1 MiB), and the unit fails to load.
	maxUnitLine = 1<<20 - 1
	// maxExecString is the longest argument or environment entry execve(2)
	// takes: MAX_ARG_STRLEN, 32 pages of 4 KiB, less the final NUL. A longer
	// one fails with E2BIG (status=203/EXEC).
	maxExecString = 32*4096 - 1
	// maxExecTotal bounds all arguments and environment entries together,
	// each with its NUL and its pointer: Linux allows a quarter of the
	// stack limit (8 MiB by default), and 64 KiB are left for the
	// variables systemd adds itself (LISTEN_FDS, INVOCATION_ID, ...).
	maxExecTotal = 2<<20 - 64<<10
)

// checkSystemdValue refuses what no systemd line can carry: systemd ignores
// a line that is not UTF-8 clean, its own notion, which also excludes the
// Unicode non-characters (unichar_is_valid), and no argument or environment
// entry can hold a NUL. Every other character is carried, control
// characters as C escapes.
func checkSystemdValue(v string) error {
	if !utf8.ValidString(v) {
		return errors.New("not valid UTF-8: systemd ignores a unit line that is not UTF-8 clean, and dockerd would not start: write the value in UTF-8")
	}
	for _, r := range v {
		switch {
		case r == 0:
			return errors.New("contains a NUL byte, which no command line or environment can carry: remove it")
		case nonCharacter(r):
			return fmt.Errorf("contains the Unicode non-character %U, which systemd refuses as not UTF-8 clean: remove it", r)
		}
	}
	return nil
}

// nonCharacter reports the 66 Unicode non-characters: U+FDD0 to U+FDEF and
// the last two code points of every plane.
func nonCharacter(r rune) bool {
	return r >= 0xFDD0 && r <= 0xFDEF || r&0xFFFE == 0xFFFE
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
// quote itself and %, and writing control characters as C escapes (raw,
// a newline or carriage return would end the line); with dollar set, also
// $ (for Exec lines, where systemd substitutes variables). Bytes that are
// not UTF-8 are kept as they are, for checkSystemdValue to refuse.
func quoteSystemd(s string, dollar bool) string {
	if safeWord(s) {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		raw := s[i : i+size]
		i += size
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '%':
			b.WriteString("%%")
		case r == '$' && dollar:
			b.WriteString("$$")
		case r < 0x80 && unicode.IsControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unicode.IsControl(r):
			// \xNN would be one byte; \u encodes the code point as UTF-8.
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(raw)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// quoteExecArg quotes one argument of an ExecStart= command line.
func quoteExecArg(s string) string { return quoteSystemd(s, true) }

// quoteEnvironment quotes one NAME=value assignment of Environment=.
func quoteEnvironment(s string) string { return quoteSystemd(s, false) }

// quoteVarWord quotes one word of a variable that an ExecStart= line expands
// as a word of its own ($DOCKER_OPTS): that split knows only quotes and
// backslashes, and keeps anything else inside quotes as it is.
func quoteVarWord(s string) string {
	if safeWord(s) {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// varWords joins argv into the value of a variable that an ExecStart= line
// expands as a word of its own, such as Flatcar's $DOCKER_OPTS, so that
// systemd splits it back into exactly argv. The value still needs
// Environment= quoting.
func varWords(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = quoteVarWord(a)
	}
	return strings.Join(q, " ")
}

// ExecLine joins argv into an ExecStart= value that systemd splits back
// into exactly argv.
func ExecLine(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = quoteExecArg(a)
	}
	return strings.Join(q, " ")
}

// engineValue is one --engine-* value with what dockerd gets from it: an
// argument, or for engine-env an environment entry.
type engineValue struct {
	field, value, exec string
	env                bool
}

// values lists every engine value in field order.
func (e Engine) values() []engineValue {
	var vs []engineValue
	add := func(field string, vals []string, exec func(string) Engine) {
		for _, v := range vals {
			vs = append(vs, engineValue{field: field, value: v, exec: engineArgs(exec(v))[0]})
		}
	}
	add(FieldEngineOpt, e.Opts, func(v string) Engine { return Engine{Opts: []string{v}} })
	add(FieldEngineLabel, e.Labels, func(v string) Engine { return Engine{Labels: []string{v}} })
	add(FieldEngineRegistryMirror, e.RegistryMirrors, func(v string) Engine { return Engine{RegistryMirrors: []string{v}} })
	add(FieldEngineInsecureRegistry, e.InsecureRegistries, func(v string) Engine { return Engine{InsecureRegistries: []string{v}} })
	for _, v := range e.Env {
		vs = append(vs, engineValue{field: FieldEngineEnv, value: v, exec: v, env: true})
	}
	return vs
}

// longest returns the longest of vs, the one to shorten first.
func longest(vs []engineValue) engineValue {
	var l engineValue
	for _, v := range vs {
		if len(v.value) > len(l.value) {
			l = v
		}
	}
	return l
}

// abbrev shortens a long value for a message, which gives its size.
func abbrev(s string) string {
	if len(s) <= 64 {
		return s
	}
	cut := 40
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// checkSystemdLimits adds the engine values that would take the drop-in or
// dockerd's start past a limit of systemd or Linux: systemd would not load
// the unit, or dockerd would fail to start with E2BIG.
func (s Spec) checkSystemdLimits(es *Errors, o OS) {
	vs := s.Engine.values()
	if len(vs) == 0 {
		return
	}
	argv, env := s.daemonExec(o)
	before := len(*es)
	checkExecStrings(es, o, vs, env)
	if len(*es) > before {
		return // the limits below follow from these
	}
	s.checkUnitLines(es, o, vs)
	if n := execSize(argv) + execSize(env); n > maxExecTotal {
		l := longest(vs)
		es.add(l.field, abbrev(l.value), fmt.Sprintf("dockerd's arguments and environment would take %d bytes; Linux starts a program with at most about %d", n, maxExecTotal), "shorten the engine options")
	}
}

// daemonExec is what the drop-in starts dockerd with: its arguments and
// the drop-in's environment. On Flatcar the arguments are those from
// $DOCKER_OPTS; the unit's own few are in maxExecTotal's reserve.
func (s Spec) daemonExec(o OS) (argv, env []string) {
	if o.Butane.Variant == "flatcar" {
		argv = flatcarOpts(s)
		return argv, append([]string{flatcarOptsVar + "=" + varWords(argv)}, s.Engine.Env...)
	}
	return DaemonArgs(s, o), s.Engine.Env
}

// checkExecStrings adds each value whose argument or environment entry is
// longer than execve(2) takes; on Flatcar, the options share one entry.
func checkExecStrings(es *Errors, o OS, vs []engineValue, env []string) {
	flatcar := o.Butane.Variant == "flatcar"
	for _, v := range vs {
		if len(v.exec) <= maxExecString || flatcar && !v.env {
			continue
		}
		what := "argument"
		if v.env {
			what = "environment entry"
		}
		es.add(v.field, abbrev(v.value), fmt.Sprintf("makes a dockerd %s of %d bytes; Linux passes at most %d bytes in one", what, len(v.exec), maxExecString), "shorten it")
	}
	if flatcar && len(env[0]) > maxExecString {
		n, l := len(env[0]), longest(vs)
		es.add(l.field, abbrev(l.value), fmt.Sprintf("flatcar passes all engine options in one environment entry, DOCKER_OPTS, which would be %d bytes; Linux passes at most %d bytes in one", n, maxExecString), "shorten the longest options")
	}
}

// execSize is what strs take of execve(2)'s space: each string with its NUL
// and its pointer.
func execSize(strs []string) int {
	n := 0
	for _, s := range strs {
		n += len(s) + 1 + 8
	}
	return n
}

// checkUnitLines adds the longest engine value when a line of the drop-in
// is longer than systemd reads.
func (s Spec) checkUnitLines(es *Errors, o OS, vs []engineValue) {
	dropIn, err := dropInFor(s, o)
	if err != nil {
		return // BuildPlan reports it
	}
	for _, line := range strings.Split(string(dropIn), "\n") {
		if len(line) > maxUnitLine {
			key, _, _ := strings.Cut(line, "=")
			l := longest(vs)
			es.add(l.field, abbrev(l.value), fmt.Sprintf("makes the %s= line of dockerd's drop-in %d bytes long; systemd reads at most %d bytes a line and would not load docker.service", key, len(line), maxUnitLine), "shorten the engine options")
			return
		}
	}
}
