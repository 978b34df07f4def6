package generator

import (
	"bytes"
	"fmt"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// encodeYAML writes v as a YAML document for p's machine: magic (a first
// line the reader needs, such as #cloud-config, or nothing), a comment that
// names the machine and warns that the medium carries its private key, then
// v with two-space indentation. Both YAML formats, cloud-config and Butane,
// are written by it.
func encodeYAML(p *Plan, magic, medium string, v any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(magic)
	fmt.Fprintf(&b, "# dockbake machine %s: Docker with mutual TLS on %s\n", p.Machine, p.URL)
	fmt.Fprintf(&b, "# This %s carries the host's private TLS key: treat it as a secret.\n", medium)
	if err := encodeYAMLTo(&b, v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// encodeYAMLTo writes v to b as YAML with two-space indentation.
func encodeYAMLTo(b *bytes.Buffer, v any) error {
	enc := yaml.NewEncoder(b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return err
	}
	return enc.Close()
}

// text is a string that YAML must carry exactly: a file's content. yaml.v3
// writes a string of several lines as a literal block, whose indentation a
// reader takes from the block's first line; a first line that starts with a
// space or a tab is then read back wrongly or not at all ("found a tab
// character where an indentation space is expected"). Such text, and text
// a literal block cannot hold as it is (a carriage return, YAML 1.1's other
// line breaks), is written double-quoted, where escapes keep every byte.
type text string

// MarshalYAML chooses the style that carries t exactly.
func (t text) MarshalYAML() (any, error) {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: string(t)}
	if !literalSafe(string(t)) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n, nil
}

// literalSafe reports whether yaml.v3's own choice of style reads back as
// s. The cheap checks catch the known cases; text of plain lines (PEM, for
// one) is safe as it stands; the round trip is the proof for the rest (for
// example a block whose first line is empty), once for each text: the same
// scripts and units recur in every machine of a fleet.
func literalSafe(s string) bool {
	if s != "" && (s[0] == ' ' || s[0] == '\t' || s[0] == '\n') || strings.ContainsAny(s, "\r\u0085\u2028\u2029") {
		return false
	}
	if !strings.Contains(s, "\n") {
		return true // one line: yaml.v3 quotes it as it must
	}
	if plainLines(s) {
		return true
	}
	return roundTrips.check(s)
}

// plainLines reports whether s is lines of printable ASCII and tabs, each
// ended by a line break, none ending in a space or a tab, the first and
// the last not empty, the first beginning with neither (a block's
// indentation is read from it): yaml.v3 writes such text as a literal
// block with the default chomping, tabs included, which carries it byte
// for byte. Scripts and PEM blocks are such text. FuzzPlainLines holds
// this against the round trip, FuzzSplicedContent against yaml.v3's
// output (splice.go).
func plainLines[T string | []byte](s T) bool {
	if len(s) < 2 || s[len(s)-1] != '\n' || s[len(s)-2] == '\n' || s[0] == ' ' || s[0] == '\t' || s[0] == '\n' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\n':
			if i > 0 && (s[i-1] == ' ' || s[i-1] == '\t') {
				return false
			}
		case c == '\t':
		case c < ' ', c > '~':
			return false
		}
	}
	return true
}

// roundTrips remembers the texts whose round trip has been tried.
var roundTrips = &roundTripMemo{seen: map[string]bool{}}

// roundTripMemo is the outcome of each text's round trip, for at most
// memoTexts texts of at most memoBytes bytes; others are tried each time.
type roundTripMemo struct {
	mu   sync.Mutex
	seen map[string]bool
}

const (
	memoTexts = 256
	memoBytes = 64 << 10
)

// check is roundTrip(s), from memory when it has been tried before.
func (m *roundTripMemo) check(s string) bool {
	m.mu.Lock()
	ok, known := m.seen[s]
	m.mu.Unlock()
	if known {
		return ok
	}
	ok = roundTrip(s)
	if len(s) <= memoBytes {
		m.mu.Lock()
		if len(m.seen) < memoTexts {
			m.seen[s] = ok
		}
		m.mu.Unlock()
	}
	return ok
}

// roundTrip reports whether s, written by yaml.v3 in the style it
// chooses, reads back as s.
func roundTrip(s string) bool {
	out, err := yaml.Marshal(map[string]string{"v": s})
	if err != nil {
		return false
	}
	var back map[string]string
	return yaml.Unmarshal(out, &back) == nil && back["v"] == s
}
