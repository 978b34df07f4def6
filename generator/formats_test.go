package generator_test

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/internal/testenv"
)

// formatCase is one golden file: an OS, an install method and a format.
type formatCase struct {
	os      string
	install generator.Install
	format  generator.Format
}

func (c formatCase) spec() generator.Spec {
	return generator.Spec{Name: "web1", IPs: []string{"203.0.113.10"}, DNSNames: []string{"web1.example.com"},
		OS: c.os, Install: c.install, Engine: generator.Engine{Labels: []string{"env=prod"}}}.WithDefaults()
}

var extensions = map[generator.Format]string{
	generator.FormatCloudConfig: ".yaml", generator.FormatMIME: ".mime", generator.FormatScript: ".sh",
	generator.FormatButane: ".bu", generator.FormatIgnition: ".ign",
}

// golden is the case's file under testdata/formats.
func (c formatCase) golden() string {
	return filepath.Join("testdata", "formats", c.os, string(c.install)+extensions[c.format])
}

// formatCases are every OS in every format it takes, with its default
// install method, plus every other install method as cloud-config and as
// a script, where the install method changes what the renderer says.
func formatCases() []formatCase {
	var cases []formatCase
	for _, id := range generator.OSNames() {
		o, _ := generator.LookupOS(id)
		for _, in := range o.Installs {
			for _, f := range o.Formats() {
				if in == o.DefaultInstall() || f == generator.FormatCloudConfig || f == generator.FormatScript {
					cases = append(cases, formatCase{id, in, f})
				}
			}
		}
	}
	return cases
}

func (c formatCase) render(t testing.TB) []byte {
	t.Helper()
	p, err := generator.BuildPlan(c.spec(), generator.FixtureCerts(t))
	if err != nil {
		t.Fatal(err)
	}
	out, err := generator.Render(p, generator.Output{Format: c.format})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFormatsGolden compares every OS x format with its golden file;
// go test ./generator -update rewrites them after a reviewed change.
func TestFormatsGolden(t *testing.T) {
	for _, c := range formatCases() {
		t.Run(c.golden(), func(t *testing.T) {
			generator.CheckGolden(t, c.golden(), c.render(t))
		})
	}
}

// TestFormatsCoverEveryOS makes sure no OS or format is left without a
// golden file.
func TestFormatsCoverEveryOS(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range formatCases() {
		seen[c.os+" "+string(c.format)] = true
	}
	for _, id := range generator.OSNames() {
		o, _ := generator.LookupOS(id)
		for _, f := range o.Formats() {
			if !seen[id+" "+string(f)] {
				t.Errorf("%s has no golden file as %s", id, f)
			}
		}
	}
	if len(generator.OSNames()) < 13 {
		t.Errorf("OS table lost entries: %v", generator.OSNames())
	}
}

// cloudConfigs are every cloud-config the golden cases produce: the plain
// ones and each cloud-config part of the MIME ones.
func cloudConfigs(t *testing.T) map[string][]byte {
	configs := map[string][]byte{}
	for _, c := range formatCases() {
		switch c.format {
		case generator.FormatCloudConfig:
			configs[c.golden()] = c.render(t)
		case generator.FormatMIME:
			for i, part := range mimeParts(t, c.render(t)) {
				if part.contentType == "text/cloud-config" {
					configs[c.golden()+"#"+string(rune('0'+i))] = part.body
				}
			}
		}
	}
	return configs
}

// TestFormatsCloudInitSchema runs the real cloud-init schema validator on
// every cloud-config and every cloud-config part of MIME user-data.
func TestFormatsCloudInitSchema(t *testing.T) {
	ci := testenv.LookPath(t, "cloud-init", "apt-get install cloud-init")
	for name, cc := range cloudConfigs(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cloudInitSchema(t, ci, cc)
		})
	}
}

func cloudInitSchema(t *testing.T, ci string, cc []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "user-data")
	if err := os.WriteFile(path, cc, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(ci, "schema", "--config-file", path).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("Valid cloud-config")) {
		t.Errorf("cloud-init schema: %v\n%s", err, out)
	}
}

// TestScriptsShellcheck checks every script with shellcheck as POSIX sh
// and with sh -n.
func TestScriptsShellcheck(t *testing.T) {
	sc := testenv.LookPath(t, "shellcheck", "apt-get install shellcheck")
	dir := t.TempDir()
	var files []string
	for _, c := range formatCases() {
		if c.format != generator.FormatScript {
			continue
		}
		path := filepath.Join(dir, c.os+"-"+string(c.install)+".sh")
		if err := os.WriteFile(path, c.render(t), 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, path)
		if out, err := exec.Command("sh", "-n", path).CombinedOutput(); err != nil {
			t.Errorf("sh -n %s: %v\n%s", path, err, out)
		}
	}
	args := append([]string{"--shell=sh", "--severity=style", "--enable=all"}, files...)
	if out, err := exec.Command(sc, args...).CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}

type part struct {
	contentType, filename string
	header                map[string][]string
	body                  []byte
}

// mimeParts reads MIME user-data back with the standard library.
func mimeParts(t testing.TB, data []byte) []part {
	t.Helper()
	head, body, ok := bytes.Cut(data, []byte("\r\n\r\n"))
	if !ok {
		t.Fatalf("no header in MIME user-data")
	}
	if !bytes.Contains(bytes.ToLower(data[:min(4096, len(data))]), []byte("mime-version: 1.0")) {
		t.Errorf("MIME-Version is not in the first 4096 bytes: cloud-init would not read MIME")
	}
	var boundary string
	for _, line := range strings.Split(string(head), "\r\n") {
		if v, ok := strings.CutPrefix(line, "Content-Type: "); ok {
			mt, params, err := mime.ParseMediaType(v)
			if err != nil || mt != "multipart/mixed" {
				t.Fatalf("Content-Type %q: %v", v, err)
			}
			boundary = params["boundary"]
		}
	}
	var parts []part
	r := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		p, err := r.NextRawPart()
		if err == io.EOF {
			return parts
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		parts = append(parts, part{contentType: ct, filename: p.FileName(), header: p.Header, body: b})
	}
}
