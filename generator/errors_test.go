package generator_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/pki"
)

// badSpecs break every rule of Spec.Validate at least once. No value holds
// "--", so any "--" in a message is the core's own words.
var badSpecs = map[string]func(*generator.Spec){
	"no name":         func(s *generator.Spec) { s.Name = "" },
	"bad name":        func(s *generator.Spec) { s.Name = "a/b" },
	"dot-dot name":    func(s *generator.Spec) { s.Name = "a..b" },
	"bad ip":          func(s *generator.Spec) { s.IPs = []string{"10.0.0.300", "fe80::1%eth0"} },
	"undialable ip":   func(s *generator.Spec) { s.IPs = []string{"0.0.0.0", "224.0.0.1", "255.255.255.255", "::ffff:0.0.0.0"} },
	"bad dns":         func(s *generator.Spec) { s.DNSNames = []string{"bad_name", "*", "127.1", "example.123"} },
	"wildcard first":  func(s *generator.Spec) { s.IPs, s.DNSNames = nil, []string{"*.example.com"} },
	"port":            func(s *generator.Spec) { s.Port = 70000 },
	"os":              func(s *generator.Spec) { s.OS = "plan9" },
	"install":         func(s *generator.Spec) { s.Install = "snap" },
	"ce on rocky":     func(s *generator.Spec) { s.OS, s.Install = "rocky-9", generator.InstallDistro },
	"distro on al":    func(s *generator.Spec) { s.OS, s.Install = "amazonlinux-2023", generator.InstallDockerCE },
	"ce on flatcar":   func(s *generator.Spec) { s.OS, s.Install = "flatcar", generator.InstallDockerCE },
	"user on flatcar": func(s *generator.Spec) { s.OS, s.Install, s.DockerUser = "flatcar", generator.InstallNone, "alice" },
	"DOCKER_OPTS on flatcar": func(s *generator.Spec) {
		s.OS, s.Install, s.Engine.Env = "flatcar", generator.InstallNone, []string{"DOCKER_OPTS=debug"}
	},
	"docker user": func(s *generator.Spec) { s.DockerUser = "Root!" },
	"engine opts": func(s *generator.Spec) {
		s.Engine.Opts = []string{"Bad Flag", "tlsverify", "H=tcp://x", "label=a=b", "registry-mirror=m", "insecure-registry=r", "storage-driver=zfs", "s=zfs", "containerd=x"}
	},
	"engine values": func(s *generator.Spec) {
		s.Engine.Labels, s.Engine.Env, s.Engine.StorageDriver = []string{"nokey", "k=a\nb"}, []string{"1X=y"}, "Over Lay"
		s.Engine.RegistryMirrors, s.Engine.InsecureRegistries = []string{""}, []string{"", "r\x00"}
	},
}

// coreErrors are the errors of the core for bad inputs: every kind that
// generator, pki and the name rule produce.
func coreErrors(t *testing.T) map[string]error {
	t.Helper()
	errs := map[string]error{}
	for name, breaks := range badSpecs {
		s := generator.Spec{Name: "web1", IPs: []string{"203.0.113.10"}, Port: generator.DefaultPort, OS: "ubuntu-24.04", Install: generator.InstallDistro}
		breaks(&s)
		errs["spec: "+name] = s.Validate()
	}
	ubuntu, _ := generator.LookupOS("ubuntu-24.04")
	flatcar, _ := generator.LookupOS("flatcar")
	for name, c := range map[string]struct {
		out generator.Output
		o   generator.OS
	}{
		"unknown format":   {generator.Output{Format: "xml"}, ubuntu},
		"format for os":    {generator.Output{Format: generator.FormatIgnition}, ubuntu},
		"merge without":    {generator.Output{Merge: []generator.MergePart{{Name: "u.yaml"}}}, ubuntu},
		"gzip on flatcar":  {generator.Output{Encoding: generator.Encoding{Gzip: true}}, flatcar},
		"target butane":    {generator.Output{Format: generator.FormatButane, Target: "aws"}, flatcar},
		"unknown target":   {generator.Output{Target: "linode"}, ubuntu},
		"plain-only gzip":  {generator.Output{Target: "digitalocean", Encoding: generator.Encoding{Gzip: true, Base64: true}}, ubuntu},
		"everything wrong": {generator.Output{Format: "xml", Target: "linode", Merge: []generator.MergePart{{Name: "u.yaml"}}}, ubuntu},
	} {
		errs["output: "+name] = c.out.Check(c.o)
	}
	p, err := generator.BuildPlan(generator.Spec{Name: "web1", IPs: []string{"203.0.113.10"}}.WithDefaults(), generator.FixtureCerts(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, part := range map[string]generator.MergePart{
		"gzip": {Name: "u.gz", Content: []byte{0x1f, 0x8b, 8, 0}}, "binary": {Name: "u.bin", Content: []byte{0xff}},
		"mime": {Name: "m.eml", Content: []byte("MIME-Version: 1.0\n")}, "unknown": {Name: "notes.txt", Content: []byte("hi\n")},
		"same name": {Name: "dockbake-web1.cfg", Content: []byte("#cloud-config\n")},
	} {
		_, errs["merge: "+name] = generator.RenderMIME(p, []generator.MergePart{part})
	}
	aws, _ := generator.LookupTarget("aws")
	errs["size"] = aws.Check(bytes.Repeat([]byte("x"), 20000), generator.Encoding{})
	noise := make([]byte, 20000)
	rand.Read(noise)
	errs["size gzipped"] = aws.Check(noise, generator.Encoding{Gzip: true})
	_, errs["shell"] = generator.ParseShell("nushell")
	_, err = pki.ParseKeyType("dsa-1024")
	errs["key type"] = generator.FieldOf(generator.FieldKeyType, err)
	_, err = pki.ParseValidity("10m")
	errs["validity"] = generator.FieldOf(generator.FieldCertValidity, err)
	for _, f := range []string{generator.FieldName, generator.FieldCA, generator.FieldUser} {
		errs["name rule: "+f] = generator.CheckName(f, "../x")
	}
	return errs
}

// fieldErrors are the FieldErrors in err, and whether err is made of them
// (or of a SizeError, which names its field itself) through and through.
func fieldErrors(err error) ([]*generator.FieldError, bool) {
	var es generator.Errors
	var one *generator.FieldError
	var size *generator.SizeError
	switch {
	case errors.As(err, &es):
		return es, true
	case errors.As(err, &one):
		return []*generator.FieldError{one}, true
	}
	return nil, errors.As(err, &size)
}

// TestCoreSpeaksNoFlags holds that the core names inputs by their neutral
// keys only: no message has a CLI flag ("--") or an HCL attribute in it,
// every problem is a field error of a known field, and every field a
// message mentions is a placeholder that a front end renders.
func TestCoreSpeaksNoFlags(t *testing.T) {
	marked := func(field string) string { return "<" + field + ">" }
	for name, err := range coreErrors(t) {
		t.Run(name, func(t *testing.T) {
			if err == nil {
				t.Fatal("no error")
			}
			for _, front := range []string{"--", "ip_addresses", "dns_names", "engine_labels", "machine_name"} {
				if strings.Contains(err.Error(), front) {
					t.Errorf("message has a front end's %q:\n%v", front, err)
				}
			}
			fes, ok := fieldErrors(err)
			if !ok {
				t.Fatalf("%T is not a field error: %v", err, err)
			}
			for _, fe := range fes {
				if !slices.Contains(generator.Fields(), fe.Field) {
					t.Errorf("unknown field %q in %v", fe.Field, fe)
				}
				got := fe.Render(marked)
				if !strings.HasPrefix(got, "<"+fe.Field+">") || strings.ContainsAny(got, "{}") {
					t.Errorf("rendered %q: the field or a placeholder is not the front end's", got)
				}
			}
		})
	}
}

// TestRenderSaysFieldsInAFrontEndsWords checks the rendering of a field
// error and of the fields its message mentions.
func TestRenderSaysFieldsInAFrontEndsWords(t *testing.T) {
	flags := func(field string) string { return "--" + strings.ReplaceAll(field, "_", "-") }
	err := generator.Spec{Name: "web1", DNSNames: []string{"*.example.com"}, Engine: generator.Engine{Opts: []string{"label=a"}}}.WithDefaults().Validate()
	var es generator.Errors
	if !errors.As(err, &es) || len(es) != 2 {
		t.Fatalf("err = %v", err)
	}
	for _, tc := range []struct{ got, want string }{
		{es[0].Render(flags), `--dns "*.example.com": clients dial the first DNS name, and a wildcard names no one host: put the host's own name first, or give an --ip`},
		{es[0].Error(), `dns "*.example.com": clients dial the first DNS name, and a wildcard names no one host: put the host's own name first, or give an ip`},
		{es[1].Render(flags), `--engine-opt "label=a": dockbake sets this flag itself (use --engine-label)`},
		{es.Render(flags), es[0].Render(flags) + "\n" + es[1].Render(flags)},
		{(&generator.FieldError{Field: "ip", Msg: "{not_a_field} {ip}"}).Text(flags), "{not_a_field} --ip"},
	} {
		if tc.got != tc.want {
			t.Errorf("got  %q\nwant %q", tc.got, tc.want)
		}
	}
}
