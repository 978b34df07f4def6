package generator_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/vincent-petithory/dataurl"

	"github.com/dockbake/dockbake/generator"
)

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

// TestButaneStrict shows that a Butane warning is an error here, as with
// butane --strict, and that the report names the place, not the content.
func TestButaneStrict(t *testing.T) {
	for _, tc := range []struct{ name, config, want string }{
		{"decimal mode", "variant: fcos\nversion: 1.6.0\nstorage:\n  files:\n    - path: /etc/docker/server-key.pem\n      mode: 600\n      contents:\n        inline: SECRET\n", "octal"},
		{"unknown key", "variant: flatcar\nversion: 1.1.0\nstorage:\n  files:\n    - path: /etc/x\n      permissions: 0600\n", "permissions"},
		{"string mode", "variant: fcos\nversion: 1.6.0\nstorage:\n  files:\n    - path: /etc/x\n      mode: \"0600\"\n", "translating"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := generator.TranslateButane([]byte(tc.config))
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

// TestButaneTranslators shows that every Ignition OS's Butane version
// translates, and that one dockbake does not write is refused by name.
func TestButaneTranslators(t *testing.T) {
	for _, id := range generator.OSNames() {
		o, _ := generator.LookupOS(id)
		if o.Butane.Variant == "" {
			continue
		}
		t.Run(id, func(t *testing.T) {
			bu := "variant: " + o.Butane.Variant + "\nversion: " + o.Butane.Version + "\n"
			ign, err := generator.TranslateButane([]byte(bu))
			if err != nil {
				t.Fatal(err)
			}
			var cfg ignitionConfig
			if err := json.Unmarshal(ign, &cfg); err != nil || cfg.Ignition.Version == "" {
				t.Errorf("not an Ignition config (%v): %s", err, ign)
			}
		})
	}
	_, err := generator.TranslateButane([]byte("variant: fcos\nversion: 1.5.0\n"))
	if err == nil || !strings.Contains(err.Error(), `"1.5.0"`) || !strings.Contains(err.Error(), "fcos 1.6.0") {
		t.Errorf("err = %v, want one naming version 1.5.0 and what dockbake writes", err)
	}
}
