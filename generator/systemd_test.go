package generator

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// This file checks the quoting against a model of systemd's parser, as
// systemd.service(5) and systemd.unit(5) describe it; boottest proves the
// same values against the real systemd of a booted guest.

// parseUnitWords reads an ExecStart= value (dollar set) or an Environment=
// value: words with quotes and C escapes, then %-specifiers in each word,
// then for ExecStart= $-substitution. It errors on anything dockbake should
// never produce (an unknown escape or specifier, a variable reference), so a
// renderer bug shows up as a failure rather than as a silently different
// argv.
func parseUnitWords(line string, dollar bool) ([]string, error) {
	words, err := splitWords(line, unitEscape)
	if err != nil {
		return nil, err
	}
	for i, w := range words {
		if words[i], err = unescapePair(w, '%', "specifier"); err != nil {
			return nil, err
		}
		if !dollar {
			continue
		}
		if words[i], err = unescapePair(words[i], '$', "variable reference"); err != nil {
			return nil, err
		}
	}
	return words, nil
}

func parseExecLine(line string) ([]string, error) { return parseUnitWords(line, true) }

// splitWords splits s at blanks into words in "..." or bare, with escape
// reading what follows a backslash. A unit line holds no raw tab or newline
// from dockbake, so only spaces separate words.
func splitWords(s string, escape func(s string, i int) (string, int, error)) ([]string, error) {
	var words []string
	for i := 0; i < len(s); {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i >= len(s) {
			break
		}
		var w strings.Builder
		quoted := s[i] == '"'
		if quoted {
			i++
		}
		for {
			if i >= len(s) {
				if quoted {
					return nil, errors.New("unbalanced quote")
				}
				break
			}
			c := s[i]
			if quoted && c == '"' {
				i++
				break
			}
			if !quoted && c == ' ' {
				break
			}
			if c == '\\' {
				out, n, err := escape(s, i)
				if err != nil {
					return nil, err
				}
				w.WriteString(out)
				i += n
				continue
			}
			w.WriteByte(c)
			i++
		}
		words = append(words, w.String())
	}
	return words, nil
}

// unitEscape reads the escapes dockbake writes in a unit line: \\ \" \'
// and the C escapes \xNN (one byte) and \uNNNN (a code point in UTF-8).
func unitEscape(s string, i int) (string, int, error) {
	if i+1 >= len(s) {
		return "", 0, fmt.Errorf("escape at %d", i)
	}
	switch s[i+1] {
	case '\\', '"', '\'':
		return s[i+1 : i+2], 2, nil
	case 'x':
		if b, err := strconv.ParseUint(s[min(i+2, len(s)):min(i+4, len(s))], 16, 8); err == nil && i+4 <= len(s) && b != 0 {
			return string([]byte{byte(b)}), 4, nil
		}
	case 'u':
		if r, err := strconv.ParseUint(s[min(i+2, len(s)):min(i+6, len(s))], 16, 16); err == nil && i+6 <= len(s) && r != 0 {
			return string(rune(r)), 6, nil
		}
	}
	return "", 0, fmt.Errorf("escape %q at %d", s[i:min(i+6, len(s))], i)
}

// unescapePair turns cc into c and refuses a lone c.
func unescapePair(w string, c byte, what string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(w); i++ {
		if w[i] != c {
			b.WriteByte(w[i])
			continue
		}
		if i+1 >= len(w) || w[i+1] != c {
			return "", errors.New(what)
		}
		b.WriteByte(c)
		i++
	}
	return b.String(), nil
}

// splitVar splits a variable's value the way an ExecStart= word $VAR is
// split: at blanks, with quotes, and a backslash taking the next byte as it
// is (no C escapes).
func splitVar(s string) ([]string, error) {
	return splitWords(s, func(s string, i int) (string, int, error) {
		if i+1 >= len(s) {
			return "", 0, errors.New("trailing backslash")
		}
		return s[i+1 : i+2], 2, nil
	})
}

var awkwardValues = []string{
	"plain", "with space", `dq"uote`, "sq'uote", `back\slash`, "dollar$HOME", "${BRACED}", "percent%h",
	"%%", "$$", `\"`, `trailing\`, "semi;colon", ";", "ünïcödé", "=", "a=b=c", "[::1]:2376", "",
	"  both ends  ", "\ttab\t", "\u00a0no-break\u00a0", "new\nline", "cr\rlf", "\x1b[0m", "del\x7f",
	"c1\u0085", "\u2028", "\ufdcf\ufdf0\ufffd\U0010fffd", "🐳", `\x41`, `\u0041`, `"'"'`,
}

// goldenEngineValues are the engine values of the golden cases.
func goldenEngineValues() []string {
	var vs []string
	for _, s := range goldenSpecs {
		for _, v := range s.Engine.values() {
			vs = append(vs, v.value)
		}
	}
	return vs
}

func TestExecLineRoundTrip(t *testing.T) {
	for _, v := range append(awkwardValues, goldenEngineValues()...) {
		argv := []string{"/usr/sbin/dockerd", "--label=k=" + v, v}
		got, err := parseExecLine(ExecLine(argv))
		if err != nil || !reflect.DeepEqual(got, argv) {
			t.Errorf("%q: line %s parsed to %q (%v)", v, ExecLine(argv), got, err)
		}
	}
}

func FuzzExecLine(f *testing.F) {
	for _, v := range append(awkwardValues, goldenEngineValues()...) {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if checkSystemdValue(v) != nil {
			return // refused at validation, never rendered
		}
		argv := []string{"dockerd", "--label=x=" + v, v}
		line := ExecLine(argv)
		if strings.ContainsAny(line, "\n\r\t") {
			t.Fatalf("%q: raw control character in the unit line %q", v, line)
		}
		got, err := parseExecLine(line)
		if err != nil || !reflect.DeepEqual(got, argv) {
			t.Fatalf("%q: line %s parsed to %q (%v)", v, line, got, err)
		}
	})
}

func FuzzEnvironment(f *testing.F) {
	for _, v := range append(awkwardValues, goldenEngineValues()...) {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if checkSystemdValue(v) != nil {
			return
		}
		// Environment= keeps $ literal: a doubled $ would arrive doubled.
		q := quoteEnvironment("K=" + v)
		if strings.Count(q, "$") != strings.Count(v, "$") {
			t.Fatalf("%q: doubled $ in Environment=, where systemd keeps it literal: %s", v, q)
		}
		words, err := parseUnitWords(q, false)
		if err != nil || len(words) != 1 || words[0] != "K="+v {
			t.Fatalf("%q: %s parsed to %q (%v)", v, q, words, err)
		}
	})
}

// FuzzDockerOpts follows a value through Flatcar's two passes: the
// drop-in's Environment= line, then the split of $DOCKER_OPTS.
func FuzzDockerOpts(f *testing.F) {
	for _, v := range append(awkwardValues, goldenEngineValues()...) {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if checkSystemdValue(v) != nil {
			return
		}
		spec := Spec{Engine: Engine{Labels: []string{"k=" + v}, Opts: []string{"log-opt=tag=" + v}, RegistryMirrors: []string{v}}}
		env := flatcarEnvironment(spec)
		words, err := parseUnitWords(env[0], false)
		if err != nil || len(words) != 1 {
			t.Fatalf("%q: %s parsed to %q (%v)", v, env[0], words, err)
		}
		value, ok := strings.CutPrefix(words[0], "DOCKER_OPTS=")
		if !ok {
			t.Fatalf("%q: %s does not set DOCKER_OPTS", v, env[0])
		}
		argv, err := splitVar(value)
		if want := flatcarOpts(spec); err != nil || !reflect.DeepEqual(argv, want) {
			t.Fatalf("%q: $DOCKER_OPTS %q split to %q (%v), want %q", v, value, argv, err, want)
		}
	})
}

// TestSystemdValueRefusals holds systemd's notion of UTF-8 clean: every
// non-character is refused, its neighbours are carried.
func TestSystemdValueRefusals(t *testing.T) {
	refused := []string{"\xff", "a\xc0\xafb", "\xed\xa0\x80", "nul\x00"}
	for r := rune(0xFDD0); r <= 0xFDEF; r++ {
		refused = append(refused, string(r))
	}
	for plane := rune(0); plane <= 0x10; plane++ {
		refused = append(refused, string(plane<<16|0xFFFE), string(plane<<16|0xFFFF))
	}
	if len(refused) != 4+66 {
		t.Fatalf("%d non-characters, want 66", len(refused)-4)
	}
	for _, v := range refused {
		if checkSystemdValue(v) == nil {
			t.Errorf("%q accepted", v)
		}
	}
	for _, v := range []string{"\ufdcf", "\ufdf0", "\ufffd", "\U0001fffd", "\U0010fffd", "\x01", "\x7f", "\u0085"} {
		if err := checkSystemdValue(v); err != nil {
			t.Errorf("%q refused: %v", v, err)
		}
	}
}

// TestQuotingKeepsBytes: quoting never turns a byte that is not UTF-8 into
// U+FFFD, which would carry a different value instead of refusing it.
func TestQuotingKeepsBytes(t *testing.T) {
	for _, q := range []string{quoteExecArg("a b\xff"), quoteEnvironment("K=a b\xff"), quoteVarWord("a b\xff")} {
		if !strings.Contains(q, "b\xff") {
			t.Errorf("%q lost the byte 0xff", q)
		}
	}
}

func TestControlCharactersCarried(t *testing.T) {
	for _, v := range []string{"a\nb", "a\tb", "a\rb", " lead", "trail ", "\u00a0"} {
		spec := Spec{Name: "m", IPs: []string{"203.0.113.1"}, Engine: Engine{Labels: []string{"k=" + v}}}.WithDefaults()
		if err := spec.Validate(); err != nil {
			t.Errorf("label %q: %v", v, err)
		}
	}
	spec := Spec{Name: "m", IPs: []string{"203.0.113.1"}, Engine: Engine{Labels: []string{"k=a\x00b"}}}.WithDefaults()
	if err := spec.Validate(); err == nil || !strings.Contains(err.Error(), `engine_label "k=a\x00b": contains a NUL byte`) {
		t.Errorf("NUL: err = %v", err)
	}
}

// TestSystemdLimits puts each limit's value right at the limit, accepted,
// and one byte over it, refused with the field and the limit named.
func TestSystemdLimits(t *testing.T) {
	for _, tc := range []struct {
		name, os string
		engine   func(n int) Engine // n bytes more than the base case
		fit      func(Engine, OS) int
		limit    int
		want     string
	}{
		{"argument", "debian-12", func(n int) Engine { return Engine{Labels: []string{"k=" + strings.Repeat("x", n)}} },
			func(e Engine, _ OS) int { return len(e.values()[0].exec) }, maxExecString, "engine_label"},
		{"environment entry", "debian-12", func(n int) Engine { return Engine{Env: []string{"K=" + strings.Repeat("x", n)}} },
			func(e Engine, _ OS) int { return len(e.Env[0]) }, maxExecString, "engine_env"},
		{"DOCKER_OPTS", "flatcar", func(n int) Engine { return Engine{Labels: []string{"a=b", "k= " + strings.Repeat("x", n)}} },
			func(e Engine, o OS) int { return len("DOCKER_OPTS=" + varWords(flatcarOpts(Spec{Engine: e}))) }, maxExecString, "DOCKER_OPTS"},
		{"unit line", "debian-12", bigLabels, execStartLine, maxUnitLine, "ExecStart= line"},
		{"exec total", "debian-12", bigEnv, execTotal, maxExecTotal, "arguments and environment"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, _ := LookupOS(tc.os)
			base := tc.fit(tc.engine(0), o)
			n := tc.limit - base
			spec := Spec{Name: "m", IPs: []string{"203.0.113.1"}, OS: tc.os}.WithDefaults()
			spec.Engine = tc.engine(n)
			if got := tc.fit(spec.Engine, o); got != tc.limit {
				t.Fatalf("the case measures %d, not the limit %d", got, tc.limit)
			}
			if err := spec.Validate(); err != nil {
				t.Errorf("at the limit: %v", err)
			}
			spec.Engine = tc.engine(n + 1)
			err := spec.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), strconv.Itoa(tc.limit)) {
				t.Errorf("one byte over the limit: err = %v, want %q and the limit", err, tc.want)
			}
			if err != nil && len(err.Error()) > 1000 {
				t.Errorf("the error quotes the whole value: %d bytes", len(err.Error()))
			}
		})
	}
}

// bigLabels are labels just under the argument limit, the last one n bytes
// longer than the base.
func bigLabels(n int) Engine {
	var e Engine
	for i := 0; i < 8; i++ {
		e.Labels = append(e.Labels, fmt.Sprintf("k%d=%s", i, strings.Repeat("x", 128000)))
	}
	e.Labels = append(e.Labels, "last="+strings.Repeat("x", 20000+n))
	return e
}

func execStartLine(e Engine, o OS) int {
	spec := Spec{Name: "m", IPs: []string{"203.0.113.1"}, OS: o.ID, Engine: e}.WithDefaults()
	dropIn, err := dropInFor(spec, o)
	if err != nil {
		panic(err)
	}
	for _, line := range strings.Split(string(dropIn), "\n") {
		if strings.HasPrefix(line, "ExecStart=") && len(line) > len("ExecStart=") {
			return len(line)
		}
	}
	panic("no ExecStart")
}

// bigEnv are environment entries just under the entry limit, the last one
// n bytes longer than the base.
func bigEnv(n int) Engine {
	var e Engine
	for i := 0; i < 15; i++ {
		e.Env = append(e.Env, fmt.Sprintf("K%d=%s", i, strings.Repeat("x", 131000)))
	}
	e.Env = append(e.Env, "LAST="+strings.Repeat("x", 20000+n))
	return e
}

func execTotal(e Engine, o OS) int {
	spec := Spec{Name: "m", IPs: []string{"203.0.113.1"}, OS: o.ID, Engine: e}.WithDefaults()
	return execSize(DaemonArgs(spec, o)) + execSize(e.Env)
}

func TestAbbrev(t *testing.T) {
	long := strings.Repeat("ü", 100)
	if got := abbrev(long); !utf8.ValidString(got) || len(got) > 44 || !strings.HasSuffix(got, "…") {
		t.Errorf("abbrev = %q", got)
	}
	if got := abbrev("short"); got != "short" {
		t.Errorf("abbrev(short) = %q", got)
	}
}

// TestFlatcarOptionsCollision: a second DOCKER_OPTS would replace the TLS
// flags, since systemd keeps the last assignment.
func TestFlatcarOptionsCollision(t *testing.T) {
	spec := Spec{Name: "m", IPs: []string{"203.0.113.1"}, OS: "flatcar", Engine: Engine{Env: []string{"DOCKER_OPTS=--debug"}}}.WithDefaults()
	if err := spec.Validate(); err == nil || !strings.Contains(err.Error(), `engine_env "DOCKER_OPTS=--debug": flatcar's docker.service reads dockbake's TLS flags from DOCKER_OPTS`) {
		t.Errorf("err = %v", err)
	}
	spec.OS = "debian-12"
	if err := spec.WithDefaults().Validate(); err != nil {
		t.Errorf("debian-12 has no DOCKER_OPTS in its command line: %v", err)
	}
}
