package generator_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/internal/testenv"
)

var (
	userConfig = []byte("#cloud-config\nwrite_files:\n  - path: /etc/motd\n    content: \"managed by dockbake\\n\"\nruncmd:\n  - [echo, user runcmd]\npackages: [htop]\n")
	userScript = []byte("#!/bin/sh\necho user script\n")
	userHook   = []byte("#cloud-boothook\n#!/bin/sh\necho boothook\n")
)

func mergedMIME(t *testing.T) []byte {
	t.Helper()
	p, err := generator.BuildPlan(formatCase{os: "ubuntu-24.04"}.spec(), generator.FixtureCerts(t))
	if err != nil {
		t.Fatal(err)
	}
	out, err := generator.RenderMIME(p, []generator.MergePart{
		{Name: "conf/user.yaml", Content: userConfig},
		{Name: "setup.sh", Content: userScript},
		{Name: "early.txt", Content: userHook},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMIMEParts(t *testing.T) {
	parts := mimeParts(t, mergedMIME(t))
	want := []struct{ contentType, filename string }{
		{"text/cloud-config", "dockbake-web1.cfg"},
		{"text/cloud-config", "user.yaml"},
		{"text/x-shellscript", "setup.sh"},
		{"text/cloud-boothook", "early.txt"},
	}
	if len(parts) != len(want) {
		t.Fatalf("%d parts, want %d", len(parts), len(want))
	}
	for i, w := range want {
		p := parts[i]
		if p.contentType != w.contentType || p.filename != w.filename {
			t.Errorf("part %d: %s %q, want %s %q", i, p.contentType, p.filename, w.contentType, w.filename)
		}
		merge := strings.Join(p.header["X-Merge-Type"], ",")
		if (p.contentType == "text/cloud-config") != (merge == generator.MergeType) {
			t.Errorf("part %d (%s): X-Merge-Type %q", i, p.contentType, merge)
		}
	}
	for i, body := range [][]byte{userConfig, userScript, userHook} {
		if !bytes.Equal(parts[i+1].body, body) {
			t.Errorf("part %d changed on the way:\n%q\nwant\n%q", i+1, parts[i+1].body, body)
		}
	}
	if !bytes.Equal(mergedMIME(t), mergedMIME(t)) {
		t.Error("the same input gave different MIME user-data")
	}
}

// cloudInitMerge merges MIME user-data with the installed cloud-init's own
// code (testdata/formats/merge.py).
func cloudInitMerge(t *testing.T, data []byte) (config map[string]any, parts [][]string) {
	t.Helper()
	ci := testenv.LookPath(t, "cloud-init", "apt-get install cloud-init")
	python := "python3"
	if b, err := os.ReadFile(ci); err == nil { // the interpreter cloud-init itself runs with
		if line, _, _ := bytes.Cut(b, []byte("\n")); bytes.HasPrefix(line, []byte("#!")) {
			python = strings.Fields(string(line[2:]))[0]
		}
	}
	path := filepath.Join(t.TempDir(), "user-data")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(python, filepath.Join("testdata", "formats", "merge.py"), path).Output()
	if err != nil {
		t.Fatalf("merge.py: %v", err)
	}
	var res struct {
		CloudConfig map[string]any `json:"cloud_config"`
		Parts       [][]string     `json:"parts"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	return res.CloudConfig, res.Parts
}

func paths(cc map[string]any) []string {
	var ps []string
	for _, f := range cc["write_files"].([]any) {
		ps = append(ps, f.(map[string]any)["path"].(string))
	}
	return ps
}

// TestMIMEMergesInCloudInit proves with cloud-init's own merger that the
// user's lists add to ours, and that it is the merge header that does it.
func TestMIMEMergesInCloudInit(t *testing.T) {
	cc, parts := cloudInitMerge(t, mergedMIME(t))
	got := paths(cc)
	for _, want := range []string{generator.HostServerKey, generator.HostDropIn, "/etc/motd"} {
		if !slices.Contains(got, want) {
			t.Errorf("merged write_files %v lacks %s", got, want)
		}
	}
	if n := len(cc["runcmd"].([]any)); n != 6 {
		t.Errorf("merged runcmd has %d commands, want our 5 and the user's", n)
	}
	if pk := cc["packages"].([]any); len(pk) != 2 {
		t.Errorf("merged packages = %v, want docker.io and htop", pk)
	}
	if len(parts) != 4 {
		t.Errorf("cloud-init saw parts %v", parts)
	}

	// cloud-init unpacks --gzip by itself.
	gz, err := generator.Encode(mergedMIME(t), generator.Encoding{Gzip: true})
	if err != nil {
		t.Fatal(err)
	}
	if cc, _ := cloudInitMerge(t, gz); !slices.Equal(paths(cc), got) {
		t.Errorf("gzip'd MIME merged to %v, want %v", paths(cc), got)
	}

	// Without the header, cloud-init's default merge replaces our lists.
	bare := bytes.ReplaceAll(mergedMIME(t), []byte("X-Merge-Type: "+generator.MergeType+"\r\n"), nil)
	cc, _ = cloudInitMerge(t, bare)
	if slices.Contains(paths(cc), generator.HostServerKey) {
		t.Error("control: without X-Merge-Type our write_files survived; the test no longer proves the header")
	}
}

func TestMergeRefusals(t *testing.T) {
	p, err := generator.BuildPlan(formatCase{os: "debian-12"}.spec(), generator.FixtureCerts(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		parts   []generator.MergePart
		wantErr string
	}{
		{"gzip", []generator.MergePart{{Name: "u.gz", Content: []byte{0x1f, 0x8b, 8, 0}}}, `merge "u.gz": gzip-compressed`},
		{"binary", []generator.MergePart{{Name: "u.bin", Content: []byte("#!/bin/sh\x00\xff")}}, `merge "u.bin": not text`},
		{"unknown", []generator.MergePart{{Name: "notes.txt", Content: []byte("hello\n")}}, `merge "notes.txt": unknown user-data type`},
		{"mime", []generator.MergePart{{Name: "m.eml", Content: []byte("Content-Type: multipart/mixed\n")}}, "already MIME"},
		{"same name", []generator.MergePart{{Name: "a/x.sh", Content: userScript}, {Name: "b/x.sh", Content: userScript}}, `a second part named "x.sh"`},
		{"our name", []generator.MergePart{{Name: "dockbake-web1.cfg", Content: userConfig}}, "a second part named"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := generator.RenderMIME(p, tc.parts)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
	_, err = generator.Render(p, generator.Output{Format: generator.FormatCloudConfig, Merge: []generator.MergePart{{Name: "u.yaml", Content: userConfig}}})
	if err == nil || !strings.Contains(err.Error(), "merge \"u.yaml\": only MIME user-data combines parts: add format mime") {
		t.Errorf("--merge without --format mime: %v", err)
	}
}
