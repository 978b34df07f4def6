package generator_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/coreos/butane/config/common"
	fcos1_6 "github.com/coreos/butane/config/fcos/v1_6"
	flatcar1_1 "github.com/coreos/butane/config/flatcar/v1_1"
	"github.com/vincent-petithory/dataurl"
	"gopkg.in/yaml.v3"

	"github.com/dockbake/dockbake/generator"
)

// butaneSpec names a Butane spec by the header of a config.
type butaneSpec struct {
	Variant string `yaml:"variant"`
	Version string `yaml:"version"`
}

// butaneTranslators are Butane's translators of the variants and versions
// the OS table writes: Butane is the proof of RenderIgnition.
var butaneTranslators = map[butaneSpec]func([]byte) ([]byte, string, error){
	{Variant: "fcos", Version: "1.6.0"}:    reporting(fcos1_6.ToIgn3_5Bytes),
	{Variant: "flatcar", Version: "1.1.0"}: reporting(flatcar1_1.ToIgn3_4Bytes),
}

// reporting gives a translator's report as the text it prints: one line
// for each entry, so nothing when it has none.
func reporting[R fmt.Stringer](translate func([]byte, common.TranslateBytesOptions) ([]byte, R, error)) func([]byte) ([]byte, string, error) {
	return func(bu []byte) ([]byte, string, error) {
		ign, rep, err := translate(bu, common.TranslateBytesOptions{})
		return ign, strings.TrimSpace(rep.String()), err
	}
}

// translateButane translates a Butane config strictly, with the translator
// its header names: every entry of Butane's report is an error, warnings
// included, as `butane --strict` does, but for the lines of allowed.
func translateButane(bu []byte, allowed ...error) ([]byte, error) {
	var head butaneSpec
	if err := yaml.Unmarshal(bu, &head); err != nil {
		return nil, fmt.Errorf("translating Butane config: %w", err)
	}
	translate, ok := butaneTranslators[head]
	if !ok {
		return nil, fmt.Errorf("translating Butane config: variant %q version %q: no translator here", head.Variant, head.Version)
	}
	ign, report, err := translate(bu)
	if err != nil {
		return nil, fmt.Errorf("translating Butane config: %w", err)
	}
	for _, line := range strings.Split(report, "\n") {
		if line != "" && !slices.ContainsFunc(allowed, func(a error) bool { return strings.HasSuffix(line, ": "+a.Error()) }) {
			return nil, fmt.Errorf("translating Butane config (strict):\n%s", report)
		}
	}
	return append(ign, '\n'), nil
}

// ignitionOSes are the OSes that boot with Ignition.
func ignitionOSes() []generator.OS {
	var oses []generator.OS
	for _, id := range generator.OSNames() {
		if o, _ := generator.LookupOS(id); o.Boot == generator.BootIgnition {
			oses = append(oses, o)
		}
	}
	return oses
}

// sameAsButane fails t unless RenderIgnition says p byte for byte as
// Butane's strict translation of RenderButane's config does, with the
// report's allowed entries.
func sameAsButane(t *testing.T, p *generator.Plan, allowed ...error) {
	t.Helper()
	bu, err := generator.RenderButane(p)
	if err != nil {
		t.Fatal(err)
	}
	want, err := translateButane(bu, allowed...)
	if err != nil {
		t.Fatalf("%v\n%s", err, bu)
	}
	got, err := generator.RenderIgnition(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("RenderIgnition differs from Butane's translation:\n got %s\nwant %s", got, want)
	}
}

// TestIgnitionIsButanesTranslation renders machines of every Ignition OS,
// with the engine settings that change its files, and holds each to
// Butane's translation of the same plan.
func TestIgnitionIsButanesTranslation(t *testing.T) {
	edits := map[string]func(*generator.Spec){
		"defaults": func(*generator.Spec) {},
		"engine settings": func(s *generator.Spec) {
			s.Engine.Opts = []string{"--debug", "--default-ulimit=nofile=1024:2048"}
			s.Engine.Env = []string{"HTTP_PROXY=http://proxy.example.com:3128", "NO_PROXY=a b,<c>&'d'"}
			s.Engine.RegistryMirrors = []string{"https://mirror.example.com"}
			s.Engine.StorageDriver = "overlay2"
			s.Port = 12376
		},
		"ipv6 and no DNS name": func(s *generator.Spec) {
			s.IPs, s.DNSNames = []string{"2001:db8::10"}, nil
		},
	}
	for _, o := range ignitionOSes() {
		for name, edit := range edits {
			t.Run(o.ID+"/"+name, func(t *testing.T) {
				spec := formatCase{os: o.ID}.spec()
				edit(&spec)
				p, err := generator.BuildPlan(spec, generator.FixtureCerts(t))
				if err != nil {
					t.Fatal(err)
				}
				sameAsButane(t, p)
			})
		}
	}
}

// FuzzIgnitionIsButanes holds RenderIgnition to Butane for any content,
// mode, owner and unit: each of Butane's three data URLs, and the ties
// between them, comes out of some content.
func FuzzIgnitionIsButanes(f *testing.F) {
	for _, seed := range []string{"", "a", "plain text\n", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
		"\x00\x01\x02", "%%%%", strings.Repeat("compress me ", 40), "émoji 🐳 <&>'\"", "\u2028\r\n\t"} {
		f.Add([]byte(seed), uint16(0o644), "", false)
	}
	// 44 to 47 a's: gzipped is shorter than escaped, but by no more than
	// the four characters of "gzip", so escaped wins.
	for n := 44; n <= 47; n++ {
		f.Add([]byte(strings.Repeat("a", n)), uint16(0o644), "", false)
	}
	f.Add([]byte("key"), uint16(0o600), "core", true)
	f.Add([]byte("x"), uint16(0o4755), "dockbake:docker", false)
	oses := ignitionOSes()
	f.Fuzz(func(t *testing.T, content []byte, mode uint16, owner string, fcos bool) {
		if !utf8.Valid(content) || !utf8.ValidString(owner) || strings.ContainsAny(owner, "\x00") {
			t.Skip("a Butane config is YAML: text only")
		}
		user, group, _ := strings.Cut(owner, ":")
		if user == "" || group == "" {
			owner = "root:root"
		}
		o := oses[0]
		if fcos {
			o = oses[len(oses)-1]
		}
		p := &generator.Plan{Machine: "m", OS: o, EnableUnits: []string{"docker.service", generator.ApplyPathUnit},
			Files: []generator.File{
				{Path: "/etc/fuzz", Mode: fs.FileMode(mode), Owner: owner, Content: content},
				{Path: "/etc/docker/ca.pem", Mode: 0o644, Owner: "root:root", Content: []byte("ca\n")},
			}}
		// Butane warns about a mode that would be typical if it were
		// read as octal digits (0670 is 440): the plans write typical
		// modes; the fuzzer, any.
		sameAsButane(t, p, common.ErrDecimalMode)
	})
}

// ignitionConfig is the part of Ignition's schema the tests read.
type ignitionConfig struct {
	Ignition struct{ Version string }
	Storage  struct {
		Files []struct {
			Path     string
			Mode     int
			Contents struct{ Compression, Source string }
		}
	}
	Systemd struct {
		Units []struct {
			Name    string
			Enabled bool
		}
	}
}

// contents decodes a file's data URL, gunzipping where Butane compressed.
func contents(t *testing.T, compression, source string) []byte {
	t.Helper()
	u, err := dataurl.DecodeString(source)
	if err != nil {
		t.Fatalf("data URL: %v", err)
	}
	if compression != "gzip" {
		return u.Data
	}
	zr, err := gzip.NewReader(bytes.NewReader(u.Data))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestIgnitionTranslation translates each Ignition OS's Butane strictly
// and reads the result back: every file of the plan with its mode and
// content, and the units enabled.
func TestIgnitionTranslation(t *testing.T) {
	for _, tc := range []struct {
		os, version string
		unit        string
	}{
		{"flatcar", "3.4.0", "docker-tls-tcp.socket"},
		{"fedora-coreos", "3.5.0", "docker.service"},
	} {
		t.Run(tc.os, func(t *testing.T) {
			p, err := generator.BuildPlan(formatCase{os: tc.os}.spec(), generator.FixtureCerts(t))
			if err != nil {
				t.Fatal(err)
			}
			ign, err := generator.RenderIgnition(p)
			if err != nil {
				t.Fatal(err)
			}
			var cfg ignitionConfig
			if err := json.Unmarshal(ign, &cfg); err != nil {
				t.Fatal(err)
			}
			if cfg.Ignition.Version != tc.version {
				t.Errorf("Ignition version %s, want %s", cfg.Ignition.Version, tc.version)
			}
			if len(cfg.Storage.Files) != len(p.Files) {
				t.Fatalf("%d files, plan has %d", len(cfg.Storage.Files), len(p.Files))
			}
			for i, f := range cfg.Storage.Files {
				want := p.Files[i]
				if f.Path != want.Path || f.Mode != int(want.Mode.Perm()) {
					t.Errorf("file %s mode %o, want %s mode %o", f.Path, f.Mode, want.Path, want.Mode.Perm())
				}
				if got := contents(t, f.Contents.Compression, f.Contents.Source); !bytes.Equal(got, want.Content) {
					t.Errorf("%s: content differs after translation", f.Path)
				}
			}
			if len(cfg.Systemd.Units) != 2 || cfg.Systemd.Units[0].Name != tc.unit || !cfg.Systemd.Units[0].Enabled ||
				cfg.Systemd.Units[1].Name != generator.ApplyPathUnit || !cfg.Systemd.Units[1].Enabled {
				t.Errorf("units %+v, want %s and %s enabled", cfg.Systemd.Units, tc.unit, generator.ApplyPathUnit)
			}
		})
	}
}

// TestButaneStrict shows that the proof is strict: a Butane warning is an
// error, as with butane --strict, and the report names the place, not the
// content.
func TestButaneStrict(t *testing.T) {
	for _, tc := range []struct{ name, config, want string }{
		{"decimal mode", "variant: fcos\nversion: 1.6.0\nstorage:\n  files:\n    - path: /etc/docker/server-key.pem\n      mode: 600\n      contents:\n        inline: SECRET\n", "octal"},
		{"unknown key", "variant: flatcar\nversion: 1.1.0\nstorage:\n  files:\n    - path: /etc/x\n      permissions: 0600\n", "permissions"},
		{"string mode", "variant: fcos\nversion: 1.6.0\nstorage:\n  files:\n    - path: /etc/x\n      mode: \"0600\"\n", "translating"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := translateButane([]byte(tc.config))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("the error shows file content: %v", err)
			}
		})
	}
}

// TestIgnitionOSRefusals covers what Ignition cannot do, each with the
// way out in the message.
func TestIgnitionOSRefusals(t *testing.T) {
	spec := formatCase{os: "flatcar"}.spec()
	for _, tc := range []struct {
		name string
		edit func(*generator.Spec)
		want string
	}{
		{"docker user", func(s *generator.Spec) { s.DockerUser = "alice" }, "in your own Butane config"},
		{"docker-ce", func(s *generator.Spec) { s.Install = generator.InstallDockerCE }, "flatcar has Docker in its image: use install none"},
		{"DOCKER_OPTS in engine-env", func(s *generator.Spec) { s.Engine.Env = []string{"DOCKER_OPTS=--debug"} }, "which this would replace: give dockerd flags with engine_opt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := spec
			tc.edit(&s)
			if err := s.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	flatcar, _ := generator.LookupOS("flatcar")
	ubuntu, _ := generator.LookupOS("ubuntu-24.04")
	for _, tc := range []struct {
		name string
		o    generator.OS
		out  generator.Output
		want string
	}{
		{"cloud-config on flatcar", flatcar, generator.Output{Format: generator.FormatCloudConfig}, `format "cloud-config": flatcar boots with Ignition: use format ignition or butane`},
		{"script on flatcar", flatcar, generator.Output{Format: generator.FormatScript}, "use format ignition or butane"},
		{"butane on ubuntu", ubuntu, generator.Output{Format: generator.FormatButane}, "ubuntu-24.04 boots with cloud-init: use format cloud-config or mime or script"},
		{"gzip ignition", flatcar, generator.Output{Encoding: generator.Encoding{Gzip: true}}, "Ignition reads its config uncompressed"},
		{"target butane", flatcar, generator.Output{Format: generator.FormatButane, Target: "aws"}, "use format ignition"},
		{"unknown format", ubuntu, generator.Output{Format: "yaml"}, "unknown format: use one of cloud-config, mime, script, butane, ignition"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.out.Check(tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestButaneTranslators shows that the proof has a translator for every
// Ignition OS's Butane version, and that the OS table's Ignition version
// is the one Butane translates it to.
func TestButaneTranslators(t *testing.T) {
	oses := ignitionOSes()
	if len(oses) == 0 {
		t.Fatal("no OS boots with Ignition")
	}
	var specs []butaneSpec
	for _, o := range oses {
		t.Run(o.ID, func(t *testing.T) {
			specs = append(specs, butaneSpec{o.Butane.Variant, o.Butane.Version})
			ign, err := translateButane([]byte("variant: " + o.Butane.Variant + "\nversion: " + o.Butane.Version + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			var cfg ignitionConfig
			if err := json.Unmarshal(ign, &cfg); err != nil || cfg.Ignition.Version != o.Butane.Ignition {
				t.Errorf("Butane %s %s translates to Ignition %q (%v), the OS table says %q",
					o.Butane.Variant, o.Butane.Version, cfg.Ignition.Version, err, o.Butane.Ignition)
			}
		})
	}
	for s := range butaneTranslators {
		if !slices.Contains(specs, s) {
			t.Errorf("translator for %s %s, which no OS writes", s.Variant, s.Version)
		}
	}
}
