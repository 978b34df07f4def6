package generator

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// spliceSpecs are plans for every OS that boots with cloud-init and each
// of its install methods, and the golden cases' engine settings.
func spliceSpecs(t *testing.T) []Spec {
	var specs []Spec
	for _, id := range OSNames() {
		o, _ := LookupOS(id)
		if o.Boot == BootIgnition {
			continue
		}
		for _, in := range o.Installs {
			specs = append(specs, Spec{Name: "web1", IPs: []string{"203.0.113.10"}, OS: id, Install: in})
		}
	}
	for _, s := range goldenSpecs {
		specs = append(specs, s)
	}
	if len(specs) < 10 {
		t.Fatalf("only %d cloud-init plans: the OS table lost entries", len(specs))
	}
	return specs
}

// spliceMatches fails t unless p's cloud-config with the blocks spliced
// in is byte for byte what yaml.v3 writes for the whole document, and
// returns that.
func spliceMatches(t testing.TB, p *Plan, what string) []byte {
	t.Helper()
	want, err := renderCloudConfig(p, false)
	if err != nil {
		t.Fatal(err)
	}
	got, err := renderCloudConfig(p, true)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: the spliced cloud-config differs from yaml.v3's:\n--- spliced\n%s\n--- yaml.v3\n%s", what, got, want)
	}
	return want
}

// TestSplicedCloudConfig: every plan's cloud-config, with the blocks
// spliced in, is byte for byte what yaml.v3 writes for the whole
// document; and the PEM blocks and scripts were spliced.
func TestSplicedCloudConfig(t *testing.T) {
	for _, spec := range spliceSpecs(t) {
		p, err := BuildPlan(spec.WithDefaults(), FixtureCerts(t))
		if err != nil {
			t.Fatal(err)
		}
		spliceMatches(t, p, spec.OS+" "+string(spec.Install))
		for _, f := range p.Files {
			if literalBlock(f.Content) == nil {
				t.Errorf("%s: %s is not spliced", spec.OS, f.Path)
			}
		}
	}
	if blockIndent() != "      " {
		t.Errorf("blockIndent() = %q, want six spaces (SetIndent(2), content at column 4)", blockIndent())
	}
}

// FuzzSplicedContent: whatever the text of a file, in the middle of the
// document or at its end, and whatever its path, the spliced cloud-config
// is what yaml.v3 writes.
func FuzzSplicedContent(f *testing.F) {
	for _, seed := range []string{"", "a", "a\n", "a\n\n", "a\n\n\n", "\na\n", " a\n", "\ta\n", "a \n", "a\tb\n", "0644", "true", "~",
		"- x\n", "key: |\n", "|\n>\n", "'\"\\\n", "a\rb\n", "caf\xc3\xa9\n", "\xff\n", "#!/bin/sh\nset -eu\n\n  x\n", "...\n", "---\n",
		"a\n b\n", "a\n\nb\n", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", strings.Repeat("word ", 40) + "\n"} {
		f.Add(seed, "/etc/x")
	}
	f.Fuzz(func(t *testing.T, content, path string) {
		p := &Plan{Machine: "m", URL: "tcp://h:2376", Files: []File{
			{Path: path, Mode: 0o644, Owner: "root:root", Content: []byte(content)},
			{Path: "/etc/y", Mode: 0o644, Owner: "root:root", Content: []byte(content)},
		}}
		if _, err := renderCloudConfig(p, false); err != nil {
			return // yaml.v3 refuses the text or the path, and so does the splice
		}
		spliceMatches(t, p, fmt.Sprintf("content %q", content))
	})
}

// TestSpliceFallsBackOnItsToken: a value that holds the placeholders'
// token, even as the very line of a placeholder, leaves the whole
// document to yaml.v3.
func TestSpliceFallsBackOnItsToken(t *testing.T) {
	script := []byte("#!/bin/sh\necho hello\n")
	p := &Plan{Machine: "m", URL: "tcp://h:2376", Files: []File{
		{Path: "/usr/local/bin/" + spliceToken() + "0", Mode: 0o755, Owner: "root:root", Content: script},
		// Not ASCII, so not spliced: a literal block whose line reads as
		// the placeholder of the file after it.
		{Path: "/etc/a", Mode: 0o644, Owner: "root:root", Content: []byte("caf\xc3\xa9\ncontent: " + spliceToken() + "1\n")},
		{Path: "/etc/b", Mode: 0o755, Owner: "root:root", Content: script},
	}}
	want := spliceMatches(t, p, "a value with the token")
	if strings.Count(string(want), spliceToken()) != 2 {
		t.Fatalf("the values' tokens are not in the output:\n%s", want)
	}
}
