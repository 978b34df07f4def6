package generator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"

	"gopkg.in/yaml.v3"
)

// MaxMergeSize is the most a --merge part may hold: the largest user-data
// any target accepts. A bigger part fits no provider, so reading stops
// there, and a pipe or a device that never ends cannot hang the reader or
// fill its memory.
func MaxMergeSize() int { return largestTarget().Limit }

func largestTarget() Target {
	largest := targets[0]
	for _, t := range targets[1:] {
		if t.Limit > largest.Limit {
			largest = t
		}
	}
	return largest
}

// ReadMergePart reads a --merge part named name from r, at most
// MaxMergeSize bytes (one more tells that there is more), and checks that
// it is what its first line claims to be.
func ReadMergePart(name string, r io.Reader) (MergePart, error) {
	b, err := io.ReadAll(io.LimitReader(r, int64(MaxMergeSize())+1))
	if err != nil {
		return MergePart{}, fmt.Errorf("--merge %q: %w", name, err)
	}
	m := MergePart{Name: name, Content: b}
	if _, err := partType(m); err != nil {
		return MergePart{}, err
	}
	return m, nil
}

// checkSize refuses a part larger than any provider's user-data.
func checkSize(m MergePart) error {
	if t := largestTarget(); len(m.Content) > t.Limit {
		return fmt.Errorf("--merge %q: larger than %s bytes, the most user-data any provider takes (%s): merge a smaller file",
			m.Name, thousands(t.Limit), t.Title)
	}
	if len(bytes.TrimSpace(m.Content)) == 0 {
		return fmt.Errorf("--merge %q: empty: give a cloud-config, a script or a boothook", m.Name)
	}
	return nil
}

// body is a part without its first line, the marker.
func body(m MergePart) []byte {
	_, rest, _ := bytes.Cut(m.Content, []byte("\n"))
	return rest
}

// checkCloudConfig: a #cloud-config part is a YAML mapping (or empty),
// as cloud-init reads it.
func checkCloudConfig(m MergePart) error {
	var v any
	if err := yaml.Unmarshal(m.Content, &v); err != nil {
		return fmt.Errorf("--merge %q: #cloud-config but not YAML: %w: fix the YAML", m.Name, err)
	}
	switch v.(type) {
	case nil, map[string]any, map[any]any:
	default:
		return fmt.Errorf("--merge %q: #cloud-config but a YAML %s, not a mapping of keys (packages:, runcmd:, ...)", m.Name, yamlKind(v))
	}
	return nil
}

// checkArchive: a #cloud-config-archive part is a YAML list of parts.
func checkArchive(m MergePart) error {
	var v any
	if err := yaml.Unmarshal(m.Content, &v); err != nil {
		return fmt.Errorf("--merge %q: #cloud-config-archive but not YAML: %w: fix the YAML", m.Name, err)
	}
	if _, ok := v.([]any); !ok {
		return fmt.Errorf("--merge %q: #cloud-config-archive but a YAML %s, not a list of parts", m.Name, yamlKind(v))
	}
	return nil
}

// checkJSONPatch: a #cloud-config-jsonp part is a JSON patch, an array.
func checkJSONPatch(m MergePart) error {
	var v []any
	if err := json.Unmarshal(body(m), &v); err != nil {
		return fmt.Errorf("--merge %q: #cloud-config-jsonp but not a JSON array of patch operations: %w", m.Name, err)
	}
	return nil
}

func yamlKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "list"
	case map[string]any, map[any]any:
		return "mapping"
	}
	return fmt.Sprintf("scalar (%v)", v)
}

// checkShebang: a script names its interpreter on its #! line.
func checkShebang(m MergePart) error {
	if !hasShebang(m.Content) {
		return fmt.Errorf("--merge %q: #! names no interpreter: start the script with #!/bin/sh or the like", m.Name)
	}
	return nil
}

func hasShebang(b []byte) bool {
	line, ok := strings.CutPrefix(firstLine(b), "#!")
	return ok && strings.TrimSpace(line) != ""
}

// checkBoothook: cloud-init runs a boothook's body, after the marker
// line, as a program, so the body starts with its own #! line.
func checkBoothook(m MergePart) error {
	if !hasShebang(body(m)) {
		return fmt.Errorf("--merge %q: #cloud-boothook must be followed by a #! line (#!/bin/sh): cloud-init runs the rest as a program", m.Name)
	}
	return nil
}

// checkInclude: an #include part lists URLs, one a line.
func checkInclude(m MergePart) error {
	for _, line := range strings.Split(string(body(m)), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if u, err := url.Parse(line); err != nil || u.Scheme == "" || u.Host == "" && u.Scheme != "file" {
			return fmt.Errorf("--merge %q: %s lists %q, which is not a URL: give one URL a line", m.Name, firstLine(m.Content), line)
		}
	}
	return nil
}
