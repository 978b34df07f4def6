package generator

import (
	"bytes"
	"fmt"

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
