package fleet_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dockbake/dockbake/internal/fleet"
	"github.com/dockbake/dockbake/store"
)

// inventory decodes an inventory of fleet web with the named machines.
func inventory(t *testing.T, names ...string) *fleet.Inventory {
	t.Helper()
	doc := "version: 1\nfleet: web\ndefaults:\n  os: ubuntu-24.04\n  key_type: ecdsa-p256\nmachines:\n"
	for _, n := range names {
		doc += "  - name: " + n + "\n"
	}
	inv, err := fleet.Decode("web.yaml", []byte(doc), "test")
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// A prune asked about some machines removes those only: when the plan
// made under the store's lock would remove another (the fleet changed
// after the question), apply refuses and changes nothing; asked about
// every one, it removes them.
func TestApplyRemovesOnlyWhatWasAgreed(t *testing.T) {
	s, err := store.Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "user-data")
	o := fleet.Options{OutputDir: out}
	if _, err := fleet.Apply(s, inventory(t, "a", "b", "c"), o); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}

	o.Prune = true
	o.Removable = func(name string) bool { return name == "b" }
	_, err = fleet.Apply(s, inventory(t, "a"), o)
	var unconfirmed *fleet.UnconfirmedError
	if !errors.As(err, &unconfirmed) || unconfirmed.Fleet != "web" || !slices.Equal(unconfirmed.Names, []string{"c"}) {
		t.Fatalf("err = %v, want an UnconfirmedError of fleet web naming c alone", err)
	}
	names, err := s.Names()
	if err != nil || !slices.Equal(names, []string{"a", "b", "c"}) {
		t.Errorf("after the refusal the store has %v (%v), want a, b and c", names, err)
	}
	after, err := os.ReadDir(out)
	if err != nil || len(after) != len(before) {
		t.Errorf("after the refusal the user-data directory has %d entries (%v), want %d", len(after), err, len(before))
	}

	o.Removable = func(name string) bool { return name == "b" || name == "c" }
	plan, err := fleet.Apply(s, inventory(t, "a"), o)
	if err != nil {
		t.Fatal(err)
	}
	var removed []string
	for _, st := range plan.Steps {
		if st.Action == fleet.Remove {
			removed = append(removed, st.Name)
		}
	}
	if names, err := s.Names(); err != nil || !slices.Equal(names, []string{"a"}) || !slices.Equal(removed, []string{"b", "c"}) {
		t.Errorf("removed %v, the store has %v (%v): want b and c removed, a kept", removed, names, err)
	}
}
