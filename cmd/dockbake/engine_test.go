package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/generator"
)

// exactValues have what a flag parser might trim or split: white space at
// either end (space, tab, no-break space), commas, and a lone space.
var exactValues = []string{" both ends ", "\ttabs\t", "\u00a0nbsp\u00a0", "a,b, c", " ", "trailing\n"}

// TestEngineValuesExact stores every --engine-* value byte for byte as
// given: nothing trimmed, nothing split at commas.
func TestEngineValuesExact(t *testing.T) {
	c := newCLI(t)
	args := []string{"create", "web1", "--ip", "203.0.113.10", "--os", "debian-12", "-o", t.TempDir() + "/ud.yaml"}
	var want generator.Engine
	for i, v := range exactValues {
		want.Labels = append(want.Labels, "k"+string(rune('0'+i))+"="+v)
		want.Env = append(want.Env, "E"+string(rune('0'+i))+"="+v)
		want.Opts = append(want.Opts, "log-opt=tag="+v)
		want.RegistryMirrors = append(want.RegistryMirrors, "https://mirror.example.com/"+v)
		want.InsecureRegistries = append(want.InsecureRegistries, v+"registry.example.com")
	}
	for _, f := range []struct {
		flag string
		vals []string
	}{{"--engine-label", want.Labels}, {"--engine-env", want.Env}, {"--engine-opt", want.Opts},
		{"--engine-registry-mirror", want.RegistryMirrors}, {"--engine-insecure-registry", want.InsecureRegistries}} {
		for _, v := range f.vals {
			args = append(args, f.flag, v)
		}
	}
	c.ok(args...)
	var got struct{ Spec generator.Spec }
	if err := json.Unmarshal([]byte(c.ok("inspect", "web1")), &got); err != nil {
		t.Fatal(err)
	}
	e := got.Spec.Engine
	for _, f := range []struct {
		name      string
		got, want []string
	}{{"labels", e.Labels, want.Labels}, {"env", e.Env, want.Env}, {"opts", e.Opts, want.Opts},
		{"registry mirrors", e.RegistryMirrors, want.RegistryMirrors}, {"insecure registries", e.InsecureRegistries, want.InsecureRegistries}} {
		if !slices.Equal(f.got, f.want) {
			t.Errorf("%s stored as %q, want %q", f.name, f.got, f.want)
		}
	}
}

// TestEngineValueRefused: a value systemd cannot carry is refused up front,
// naming the value, and nothing is written.
func TestEngineValueRefused(t *testing.T) {
	c := newCLI(t)
	c.fails([]string{"create", "web1", "--ip", "203.0.113.10", "--engine-label", "k=\ufffe"},
		`--engine-label "k=\ufffe": contains the Unicode non-character U+FFFE`)
	if out, _, _ := c.run("ls"); strings.Contains(out, "web1") {
		t.Errorf("a refused machine was stored:\n%s", out)
	}
}
