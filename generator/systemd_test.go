package generator

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// parseExecLine reads an ExecStart= value the way systemd.service(5) and
// systemd.unit(5) describe it: %-specifiers, then words with quotes and
// C escapes, then $-substitution. It errors on anything dockbake should
// never produce (an unknown specifier, a variable reference), so a renderer
// bug shows up as a failure rather than as a silently different argv.
func parseExecLine(line string) ([]string, error) {
	var spec strings.Builder
	for i := 0; i < len(line); i++ {
		if line[i] != '%' {
			spec.WriteByte(line[i])
			continue
		}
		if i+1 >= len(line) || line[i+1] != '%' {
			return nil, fmt.Errorf("specifier at %d", i)
		}
		spec.WriteByte('%')
		i++
	}
	words, err := splitWords(spec.String())
	if err != nil {
		return nil, err
	}
	for i, w := range words {
		if words[i], err = substDollar(w); err != nil {
			return nil, err
		}
	}
	return words, nil
}

func splitWords(s string) ([]string, error) {
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
		for ; i < len(s); i++ {
			c := s[i]
			if quoted && c == '"' {
				i++
				break
			}
			if !quoted && c == ' ' {
				break
			}
			if c == '\\' {
				if i+1 >= len(s) || !strings.ContainsRune(`\"'`, rune(s[i+1])) {
					return nil, fmt.Errorf("escape at %d", i)
				}
				i++
				c = s[i]
			}
			w.WriteByte(c)
		}
		words = append(words, w.String())
	}
	return words, nil
}

func substDollar(w string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(w); i++ {
		if w[i] != '$' {
			b.WriteByte(w[i])
			continue
		}
		if i+1 >= len(w) || w[i+1] != '$' {
			return "", errors.New("variable reference")
		}
		b.WriteByte('$')
		i++
	}
	return b.String(), nil
}

var awkwardValues = []string{
	"plain", "with space", `dq"uote`, "sq'uote", `back\slash`, "dollar$HOME", "${BRACED}", "percent%h",
	"%%", "$$", `\"`, `trailing\`, "semi;colon", ";", "ünïcödé", "=", "a=b=c", "[::1]:2376", "",
}

func TestExecLineRoundTrip(t *testing.T) {
	for _, v := range awkwardValues {
		argv := []string{"/usr/sbin/dockerd", "--label=k=" + v, v}
		got, err := parseExecLine(ExecLine(argv))
		if err != nil || !reflect.DeepEqual(got, argv) {
			t.Errorf("%q: line %s parsed to %q (%v)", v, ExecLine(argv), got, err)
		}
	}
}

func FuzzExecLine(f *testing.F) {
	for _, v := range awkwardValues {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if checkSystemdValue(v) != nil {
			return // refused at validation, never rendered
		}
		argv := []string{"dockerd", "--label=x=" + v}
		got, err := parseExecLine(ExecLine(argv))
		if err != nil || !reflect.DeepEqual(got, argv) {
			t.Fatalf("%q: line %s parsed to %q (%v)", v, ExecLine(argv), got, err)
		}
	})
}

func TestEnvironmentQuoting(t *testing.T) {
	// Environment= has specifiers and quotes but no $-substitution.
	for _, v := range awkwardValues {
		q := quoteEnvironment("K=" + v)
		if strings.Count(q, "$") != strings.Count(v, "$") {
			t.Errorf("%q: doubled $ in Environment=, where systemd keeps it literal: %s", v, q)
		}
		words, err := parseExecLine(strings.ReplaceAll(q, "$", "$$"))
		if err != nil || len(words) != 1 || words[0] != "K="+v {
			t.Errorf("%q: %s parsed to %q (%v)", v, q, words, err)
		}
	}
}

func TestControlCharactersRefused(t *testing.T) {
	for _, v := range []string{"a\nb", "a\tb", "a\rb", "a\x00b", "\xff"} {
		spec := Spec{Name: "m", IPs: []string{"203.0.113.1"}, Engine: Engine{Labels: []string{"k=" + v}}}.WithDefaults()
		err := spec.Validate()
		if err == nil || !strings.Contains(err.Error(), "engine_label") {
			t.Errorf("label %q: err = %v", v, err)
		}
	}
}
