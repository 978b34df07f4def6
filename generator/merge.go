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

// MaxMergeSize is the most a merged part may hold: the largest user-data
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

// ReadMergePart reads a merged part named name from r, at most
// MaxMergeSize bytes (one more tells that there is more), and checks that
// it is what its first line claims to be.
func ReadMergePart(name string, r io.Reader) (MergePart, error) {
	b, err := io.ReadAll(io.LimitReader(r, int64(MaxMergeSize())+1))
	if err != nil {
		return MergePart{}, fmt.Errorf("%s %q: %w", FieldMerge, name, err) // keeps err for the caller's errors.Is
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
		return mergeError(m.Name, fmt.Sprintf("larger than %s bytes, the most user-data any provider takes (%s)", thousands(t.Limit), t.Title),
			"merge a smaller file")
	}
	if len(bytes.TrimSpace(m.Content)) == 0 {
		return mergeError(m.Name, "empty", "give a cloud-config, a script or a boothook")
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
		return mergeError(m.Name, "#cloud-config but not YAML: "+err.Error(), "fix the YAML")
	}
	switch v.(type) {
	case nil, map[string]any, map[any]any:
	default:
		return mergeError(m.Name, "#cloud-config but a YAML "+yamlKind(v)+", not a mapping of keys (packages:, runcmd:, ...)", "")
	}
	return nil
}

// checkArchive: a #cloud-config-archive part is a YAML list of parts.
func checkArchive(m MergePart) error {
	var v any
	if err := yaml.Unmarshal(m.Content, &v); err != nil {
		return mergeError(m.Name, "#cloud-config-archive but not YAML: "+err.Error(), "fix the YAML")
	}
	if _, ok := v.([]any); !ok {
		return mergeError(m.Name, "#cloud-config-archive but a YAML "+yamlKind(v)+", not a list of parts", "")
	}
	return nil
}

// checkJSONPatch: a #cloud-config-jsonp part is a JSON patch, an array.
func checkJSONPatch(m MergePart) error {
	var v []any
	if err := json.Unmarshal(body(m), &v); err != nil {
		return mergeError(m.Name, "#cloud-config-jsonp but not a JSON array of patch operations: "+err.Error(), "")
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
		return mergeError(m.Name, "#! names no interpreter", "start the script with #!/bin/sh or the like")
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
		return mergeError(m.Name, "#cloud-boothook must be followed by a #! line (#!/bin/sh): cloud-init runs the rest as a program", "")
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
			return mergeError(m.Name, fmt.Sprintf("%s lists %q, which is not a URL", firstLine(m.Content), line), "give one URL a line")
		}
	}
	return nil
}

// mergeError is a problem with the merged part name.
func mergeError(name, msg, hint string) error {
	return &FieldError{Field: FieldMerge, Value: name, Msg: msg, Hint: hint}
}
