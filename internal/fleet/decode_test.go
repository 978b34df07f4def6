package fleet

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// A machine's own key overrides the default, a list as a whole; what it
// does not set comes from the defaults, then from create's own defaults.
func TestDecodeMerges(t *testing.T) {
	inv, err := Decode("dir/web.yaml", []byte(`version: 1
defaults:
  os: debian-12
  engine_labels: [env=prod, team=web]
  docker_user: admin
machines:
  - name: a
  - name: b
    engine_labels: [role=canary]
    os: ubuntu-24.04
    port: 2377
`), "test")
	if err != nil {
		t.Fatal(err)
	}
	if inv.Name != "web" {
		t.Errorf("fleet name %q, want the file's name web", inv.Name)
	}
	a, b := inv.Machines[0], inv.Machines[1]
	if a.Request.Spec.OS != "debian-12" || !slices.Equal(a.Request.Spec.Engine.Labels, []string{"env=prod", "team=web"}) || a.Request.Spec.Port != 2376 {
		t.Errorf("a: %+v", a.Request.Spec)
	}
	if b.Request.Spec.OS != "ubuntu-24.04" || !slices.Equal(b.Request.Spec.Engine.Labels, []string{"role=canary"}) || b.Request.Spec.Port != 2377 || b.Request.Spec.DockerUser != "admin" {
		t.Errorf("b: %+v", b.Request.Spec)
	}
	if a.Request.Fleet != "web" || b.Line != 8 {
		t.Errorf("fleet %q, line %d", a.Request.Fleet, b.Line)
	}
}

func TestDecodeProblems(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"empty", ``, []string{"x.yaml: is empty: start it with version: 1"}},
		{"no version", "machines: []\n", []string{"x.yaml:1: has no version"}},
		{"a list", "- a\n", []string{"x.yaml:1: is a list: an inventory is a mapping"}},
		{"key twice", "version: 1\nmachines:\n  - name: a\n    os: debian-12\n    os: debian-13\n", []string{"x.yaml:5: machines[0].os: given twice (first on line 4)"}},
		{"bad fleet name", "version: 1\nfleet: a/b\nmachines: []\n", []string{`x.yaml:2: fleet: "a/b" is not a valid fleet name`}},
		{"name in defaults", "version: 1\ndefaults:\n  name: x\nmachines: []\n", []string{"x.yaml:3: defaults.name: a name is each machine's own"}},
		{"machine not a mapping", "version: 1\nmachines:\n  - web1\n", []string{`x.yaml:3: machines[0]: is the string "web1": give a mapping of settings`}},
		{"a number in a list", "version: 1\nmachines:\n  - name: a\n    engine_opts: [debug, 3]\n", []string{"x.yaml:4: machines[0].engine_opts[1]: is the number 3: give a string"}},
		{"a default placed", "version: 1\ndefaults:\n  ip_addresses: [1.2.3.4, 999.1.1.1]\nmachines:\n  - name: a\n  - name: b\n", []string{`x.yaml:3: defaults.ip_addresses[1]: "999.1.1.1": not an IP address`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode("x.yaml", []byte(tc.yaml), "test")
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("not Problems: %v", err)
			}
			if len(ps) != len(tc.want) {
				t.Errorf("%d problems, want %d:\n%v", len(ps), len(tc.want), err)
			}
			for i, w := range tc.want {
				if i < len(ps) && !strings.HasPrefix(ps[i].Error(), w) {
					t.Errorf("problem %d: %q, want it to start %q", i, ps[i].Error(), w)
				}
			}
		})
	}
}
