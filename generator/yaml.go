package generator

import (
	"bytes"
	"fmt"
	"strings"

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
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
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
// s. The cheap checks catch the known cases; the round trip is the proof
// for the rest (for example a block whose first line is empty).
func literalSafe(s string) bool {
	if s != "" && (s[0] == ' ' || s[0] == '\t' || s[0] == '\n') || strings.ContainsAny(s, "\r\u0085\u2028\u2029") {
		return false
	}
	if !strings.Contains(s, "\n") {
		return true // one line: yaml.v3 quotes it as it must
	}
	out, err := yaml.Marshal(map[string]string{"v": s})
	if err != nil {
		return false
	}
	var back map[string]string
	return yaml.Unmarshal(out, &back) == nil && back["v"] == s
}
