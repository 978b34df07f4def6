package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/generator"
)

func create(t *testing.T, spec generator.Spec) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(CreateRequest{Spec: spec.WithDefaults()}); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLoadAndPlan(t *testing.T) {
	s := create(t, generator.Spec{Name: "web1", IPs: []string{"203.0.113.10"}, OS: "debian-12"})
	m, err := s.Load("web1")
	if err != nil {
		t.Fatal(err)
	}
	if m.Spec.URL() != "tcp://203.0.113.10:2376" {
		t.Errorf("URL = %s", m.Spec.URL())
	}
	p, err := m.Plan()
	if err != nil {
		t.Fatal(err)
	}
	if p.Files[0].Path != generator.HostCACert {
		t.Errorf("first file %s", p.Files[0].Path)
	}
}

func TestLoadRefusesWhatNoLongerValidates(t *testing.T) {
	s := create(t, generator.Spec{Name: "web1", IPs: []string{"203.0.113.10"}})
	path := filepath.Join(s.HostDir("web1"), "machine.json")
	rec, _ := os.ReadFile(path)
	for name, edit := range map[string]func(string) string{
		"invalid value": func(r string) string { return strings.Replace(r, `"203.0.113.10"`, `"203.0.113.300"`, 1) },
		"unknown field": func(r string) string { return strings.Replace(r, `"port":`, `"prot": 1, "port":`, 1) },
	} {
		os.WriteFile(path, []byte(edit(string(rec))), 0o600)
		_, err := s.Load("web1")
		var ce *CorruptError
		if !errors.As(err, &ce) {
			t.Errorf("%s: err = %v, want a CorruptError", name, err)
		}
	}
	if _, err := s.Load("nosuch"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing machine: %v", err)
	}
}

// TestNoCAKeyInAnyFormat renders stored machines, one with its own CA and one
// on a shared CA, in every format their OS takes, and looks for any line of
// the CA key in the output.
func TestNoCAKeyInAnyFormat(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, os, ca string
		formats      int // plain-text formats the OS takes
	}{
		{"own", "ubuntu-24.04", "", 3}, {"shared", "debian-12", "fleet", 3}, {"core", "flatcar", "", 1},
	} {
		spec := generator.Spec{Name: tc.name, IPs: []string{"203.0.113.10"}, OS: tc.os}.WithDefaults()
		if _, err := s.Create(CreateRequest{Spec: spec, CA: tc.ca}); err != nil {
			t.Fatal(err)
		}
		keyPath := filepath.Join(s.HostDir(tc.name), "ca-key.pem")
		if tc.ca != "" {
			keyPath = filepath.Join(s.CADir(tc.ca), "ca-key.pem")
		}
		key, err := os.ReadFile(keyPath)
		if err != nil {
			t.Fatal(err)
		}
		m, err := s.Load(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		p, err := m.Plan()
		if err != nil {
			t.Fatal(err)
		}
		rendered := 0
		for _, format := range generator.FormatNames() {
			out, err := generator.Render(p, generator.Output{Format: generator.Format(format)})
			if err != nil || format == "ignition" {
				continue // a format this OS does not take; Ignition is compressed, its Butane source is text
			}
			rendered++
			for _, line := range strings.Split(string(key), "\n") {
				if len(line) >= 16 && !strings.HasPrefix(line, "-----") && strings.Contains(string(out), line) {
					t.Errorf("%s as %s: output holds a line of the CA key", tc.name, format)
				}
			}
		}
		if rendered != tc.formats {
			t.Errorf("%s: %d formats rendered, want %d", tc.name, rendered, tc.formats)
		}
	}
}
