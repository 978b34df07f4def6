package generator_test

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/generator"
)

// countingReader counts what was read from r.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// endless is a cloud-config that never ends.
type endless struct{ started bool }

func (e *endless) Read(p []byte) (int, error) {
	line := "# padding\n"
	if !e.started {
		e.started, line = true, "#cloud-config\n"
	}
	return copy(p, line), nil
}

// TestReadMergePartStops reads what never ends, a generated cloud-config
// and /dev/zero, and checks that reading stops one byte past the bound
// with an error that names the file and the bound.
func TestReadMergePartStops(t *testing.T) {
	max := generator.MaxMergeSize()
	if max != 256<<10 {
		t.Errorf("MaxMergeSize = %d, want Google's 256 KiB, the largest target", max)
	}
	sources := map[string]func(t *testing.T) io.Reader{
		"endless.yaml": func(*testing.T) io.Reader { return &endless{} },
		"/dev/zero": func(t *testing.T) io.Reader {
			f, err := os.Open("/dev/zero")
			if err != nil {
				t.Skip(err)
			}
			t.Cleanup(func() { f.Close() })
			return f
		},
	}
	for name, open := range sources {
		t.Run(name, func(t *testing.T) {
			r := &countingReader{r: open(t)}
			_, err := generator.ReadMergePart(name, r)
			want := `merge "` + name + `": larger than 262,144 bytes, the most user-data any provider takes (Google Compute Engine metadata value): merge a smaller file`
			if err == nil || err.Error() != want {
				t.Errorf("err = %v, want %s", err, want)
			}
			if r.n > max+1 {
				t.Errorf("read %d bytes, want at most %d", r.n, max+1)
			}
		})
	}
	// Exactly the bound is still a part.
	exact := append([]byte("#cloud-config\n"), bytes.Repeat([]byte("#"), max-len("#cloud-config\n"))...)
	if m, err := generator.ReadMergePart("exact.yaml", bytes.NewReader(exact)); err != nil || len(m.Content) != max {
		t.Errorf("a part of exactly %d bytes: %d bytes, %v", max, len(m.Content), err)
	}
}

// TestMergePartIsWhatItClaims checks each part against its first line.
func TestMergePartIsWhatItClaims(t *testing.T) {
	for _, tc := range []struct{ name, content, wantErr string }{
		{"config.yaml", "#cloud-config\npackages: [htop]\n", ""},
		{"empty-config.yaml", "#cloud-config\n", ""},
		{"crlf.yaml", "#cloud-config\r\nruncmd:\r\n  - [echo, hi]\r\n", ""},
		{"bad.yaml", "#cloud-config\npackages: [htop\n", `merge "bad.yaml": #cloud-config but not YAML: yaml: `},
		{"list.yaml", "#cloud-config\n- htop\n", `merge "list.yaml": #cloud-config but a YAML list, not a mapping of keys`},
		{"scalar.yaml", "#cloud-config\nhello\n", `merge "scalar.yaml": #cloud-config but a YAML scalar (hello)`},
		{"archive.yaml", "#cloud-config-archive\n- type: text/cloud-config\n  content: 'packages: [htop]'\n", ""},
		{"archive-map.yaml", "#cloud-config-archive\ntype: text/x-shellscript\n", "#cloud-config-archive but a YAML mapping, not a list of parts"},
		{"patch.json", "#cloud-config-jsonp\n[{\"op\": \"add\", \"path\": \"/packages/-\", \"value\": \"htop\"}]\n", ""},
		{"patch-bad.json", "#cloud-config-jsonp\n{\"op\": \"add\"}\n", `#cloud-config-jsonp but not a JSON array of patch operations`},
		{"setup.sh", "#!/bin/sh\necho hi\n", ""},
		{"env.sh", "#! /usr/bin/env bash\necho hi\n", ""},
		{"nointerp.sh", "#!\necho hi\n", `merge "nointerp.sh": #! names no interpreter: start the script with #!/bin/sh or the like`},
		{"hook.txt", "#cloud-boothook\n#!/bin/sh\necho early\n", ""},
		{"hook-bare.txt", "#cloud-boothook\necho early\n", `merge "hook-bare.txt": #cloud-boothook must be followed by a #! line (#!/bin/sh)`},
		{"include.txt", "#include\nhttps://example.com/a.yaml\n\n# a comment\nhttp://example.com/b.sh\n", ""},
		{"include-bad.txt", "#include-once\nexample.com/a.yaml\n", `merge "include-bad.txt": #include-once lists "example.com/a.yaml", which is not a URL`},
		{"handler.py", "#part-handler\ndef list_types(): return []\n", ""},
		{"blank.txt", " \n\n", `merge "blank.txt": empty`},
		{"notes.txt", "hello\n", `merge "notes.txt": unknown user-data type: the first line must be one of #cloud-config-archive, #cloud-config-jsonp, #cloud-config, #cloud-boothook, #include-once, #include, #part-handler, ## template: jinja, #!<interpreter>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := generator.ReadMergePart(tc.name, strings.NewReader(tc.content))
			if tc.wantErr == "" {
				if err != nil || string(m.Content) != tc.content || m.Name != tc.name {
					t.Errorf("ReadMergePart = %q, %v; want the part unchanged", m.Content, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want %q", err, tc.wantErr)
			}
			// RenderMIME holds parts made without ReadMergePart to the same rules.
			if _, err := generator.RenderMIME(mimePlan(t), []generator.MergePart{{Name: tc.name, Content: []byte(tc.content)}}); err == nil {
				t.Error("RenderMIME took the part")
			}
		})
	}
}

func mimePlan(t *testing.T) *generator.Plan {
	t.Helper()
	p, err := generator.BuildPlan(formatCase{os: "debian-12"}.spec(), generator.FixtureCerts(t))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
