package generator_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/dockbake/dockbake/generator"
)

// fuzzPlan is a real plan to put fuzzed parts and files into.
func fuzzPlan(t testing.TB) *generator.Plan {
	t.Helper()
	spec := generator.Spec{Name: "fuzz", IPs: []string{"203.0.113.10"}, OS: "debian-12"}.WithDefaults()
	p, err := generator.BuildPlan(spec, generator.FixtureCerts(t))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// FuzzMergePart: a merged part is read only up to its bound, and a part
// that is accepted reaches the MIME user-data byte for byte, as the only
// content of its own part.
func FuzzMergePart(f *testing.F) {
	for _, seed := range []string{
		"#cloud-config\npackages: [htop]\n", "#!/bin/sh\necho hi\n", "#cloud-boothook\n#!/bin/sh\necho\n",
		"#include\nhttps://example.com/a.yaml\n", "#cloud-config-archive\n- type: text/x-shellscript\n",
		"#cloud-config\n[oops", "plain text", "\x1f\x8b\x08", "#!\n", "Content-Type: text/plain\n",
	} {
		f.Add([]byte(seed))
	}
	plan := fuzzPlan(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		part, err := generator.ReadMergePart("part.txt", bytes.NewReader(b))
		if err != nil {
			return
		}
		if len(part.Content) > generator.MaxMergeSize() || !bytes.Equal(part.Content, b) {
			t.Fatalf("accepted part of %d bytes differs from its %d input bytes", len(part.Content), len(b))
		}
		out, err := generator.RenderMIME(plan, []generator.MergePart{part})
		if err != nil {
			return // e.g. a part holding the boundary: refused, not mangled
		}
		parts := mimeParts(t, out)
		if len(parts) != 2 || !bytes.Equal(parts[1].body, b) {
			t.Fatalf("the merged part does not come back whole from the MIME user-data")
		}
	})
}

// FuzzCloudConfigFile: whatever a plan file holds comes back from the
// cloud-config's YAML exactly, or rendering refuses it.
func FuzzCloudConfigFile(f *testing.F) {
	for _, seed := range []string{"", "a: b\n", "- x\n", "'\"\\\n", "#cloud-config\n", "\t lead\n", "\xff\xfe", "key: |\n  x\n", "\u2028", "...\n---\n"} {
		f.Add(seed)
	}
	base := fuzzPlan(f)
	f.Fuzz(func(t *testing.T, content string) {
		p := *base
		p.Files = append(append([]generator.File{}, base.Files...), generator.File{Path: "/etc/fuzz", Mode: 0o644, Owner: "root:root", Content: []byte(content)})
		out, err := generator.RenderCloudConfig(&p)
		if err != nil {
			return
		}
		var cc struct {
			WriteFiles []struct {
				Path    string `yaml:"path"`
				Content string `yaml:"content"`
			} `yaml:"write_files"`
		}
		if err := yaml.Unmarshal(out, &cc); err != nil {
			t.Fatalf("rendered cloud-config is not YAML: %v", err)
		}
		last := cc.WriteFiles[len(cc.WriteFiles)-1]
		if last.Path != "/etc/fuzz" || last.Content != content {
			t.Fatalf("file content %q came back as %q", content, last.Content)
		}
	})
}

// FuzzSpecRecord: a machine record's spec, whatever its bytes, either
// fails to decode or validate, or plans and renders in every format its
// OS takes without an error that is not a field error.
func FuzzSpecRecord(f *testing.F) {
	for _, seed := range []string{
		`{"name":"web1","ips":["203.0.113.10"],"port":2376,"os":"debian-12","install":"distro","engine":{}}`,
		`{"name":"core","dns_names":["core.example.com"],"port":2376,"os":"flatcar","install":"none","engine":{"labels":["a=b c"]}}`,
		`{"name":"r","ips":["::1"],"port":1,"os":"rocky-9","install":"docker-ce","engine":{"opts":["log-level=warn"],"env":["HTTP_PROXY=http://p:3128"]},"docker_user":"ops"}`,
		`{"name":"x","port":0}`, `null`, `[]`,
	} {
		f.Add([]byte(seed))
	}
	certs := generator.FixtureCerts(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		var spec generator.Spec
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if dec.Decode(&spec) != nil || spec.Validate() != nil {
			return
		}
		p, err := generator.BuildPlan(spec, certs)
		if err != nil {
			return // an OS the record does not name (imported machines) has no plan
		}
		for _, format := range generator.FormatNames() {
			out := generator.Output{Format: generator.Format(format)}
			o, _ := generator.LookupOS(spec.OS)
			if out.Check(o) != nil {
				continue
			}
			if _, err := generator.Render(p, out); err != nil {
				t.Fatalf("a valid spec does not render as %s: %v", format, err)
			}
		}
	})
}
