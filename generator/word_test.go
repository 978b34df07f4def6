package generator

import (
	"regexp"
	"strings"
	"testing"
)

// wordRules are the rules of word.go with the regular expressions they
// stand for: each must decide every string as its expression does.
var wordRules = []struct {
	name  string
	match func(string) bool
	re    string
}{
	{"name", nameWord.match, `^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`},
	{"user", userWord.match, `^[a-z_][a-z0-9_-]{0,31}$`},
	{"flag", flagWord.match, `^[a-z][a-z0-9-]*$`},
	{"env name", envNameWord.match, `^[A-Za-z_][A-Za-z0-9_]*$`},
	{"storage driver", storageDriverWord.match, `^[a-z0-9][a-z0-9._-]*$`},
	{"delivery ID", deliveryIDWord.match, `^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$`},
	{"DNS label", dnsLabel, `^(\*|[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)$`},
	{"numeric label", numericLabel, `^([0-9]+|0[xX][0-9A-Fa-f]*)$`},
	{"decimal", PlainDecimal, `^(0|[1-9][0-9]{0,8})$`},
}

// wordCases are strings at the edges of the rules: each class's first
// and last characters and their neighbours, the length bounds, a trailing
// newline (which `$` does not match), bytes beyond ASCII.
func wordCases() []string {
	cases := []string{"", "a", "A", "z", "Z", "0", "9", "_", "-", ".", "*", "@", "`", "[", "{", "/", ":",
		"a-", "-a", "a.", "a_b", "0x", "0X", "0x1f", "0xg", "00", "07", "010", "123456789", "1234567890",
		"a\n", "\na", "é", "aé", "a\x00", "a\x7f", "a\xff", "**", "*.a", "root", "_x", "x_",
		"overlay2", "vfs", "HOME", "PATH_1", "1ABC", "host", "H"}
	for _, n := range []int{31, 32, 33, 61, 62, 63, 64, 65} {
		cases = append(cases, strings.Repeat("a", n), "a"+strings.Repeat("-", n-2)+"a", strings.Repeat("a", n-1)+"-")
	}
	return cases
}

func TestWordsDecideAsTheirExpressions(t *testing.T) {
	for _, r := range wordRules {
		re := regexp.MustCompile(r.re)
		for _, s := range wordCases() {
			if got, want := r.match(s), re.MatchString(s); got != want {
				t.Errorf("%s rule on %q: %v, but %s says %v", r.name, s, got, r.re, want)
			}
		}
	}
}

// FuzzWords: on any string, every rule agrees with its expression.
func FuzzWords(f *testing.F) {
	for _, s := range wordCases() {
		f.Add(s)
	}
	res := make([]*regexp.Regexp, len(wordRules))
	for i, r := range wordRules {
		res[i] = regexp.MustCompile(r.re)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for i, r := range wordRules {
			if got, want := r.match(s), res[i].MatchString(s); got != want {
				t.Errorf("%s rule on %q: %v, but %s says %v", r.name, s, got, r.re, want)
			}
		}
	})
}

func TestCharsReadsRangesAndATrailingDash(t *testing.T) {
	s := chars("a-c._-")
	for _, c := range []byte("abc._-") {
		if !s.has(c) {
			t.Errorf("chars(%q) lacks %q", "a-c._-", c)
		}
	}
	for _, c := range []byte("dA`/\x80\xff") {
		if s.has(c) {
			t.Errorf("chars(%q) has %q", "a-c._-", c)
		}
	}
}
