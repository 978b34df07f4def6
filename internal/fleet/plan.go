package fleet

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/store"
)

// Action is what apply does to one machine.
type Action string

// The actions of a plan, from the most to the least work.
const (
	// Create makes a new machine: its CA, keys, certificates, user-data.
	Create Action = "create"
	// Reissue gives the machine a new server certificate for its new
	// addresses, on the same CA, and new user-data.
	Reissue Action = "re-issue server certificate"
	// Rerender writes new user-data from the certificates it has: a
	// change of OS, engine settings or format, or a user-data file that
	// is missing or was changed.
	Rerender Action = "re-render"
	// Unchanged leaves the machine and its user-data file alone.
	Unchanged Action = "unchanged"
	// Remove takes a machine of the fleet that the file no longer lists
	// out of the store, with --prune.
	Remove Action = "remove"
)

// Step is what apply does to one machine.
type Step struct {
	Name   string `json:"name"`
	Action Action `json:"action"`
	// Changes names what differs: settings keys, or "user-data file".
	Changes []string `json:"changes,omitempty"`
	// Output is the machine's user-data file.
	Output string `json:"output,omitempty"`

	machine *Machine // nil for Remove
	// specChanged: the store records a new spec.
	specChanged bool
	// inputs is the digest of what the user-data is made from, once
	// known (manifest.go).
	inputs string
}

// Plan is what apply would do, machine by machine, in the order of the
// file, removals last.
type Plan struct {
	Fleet     string `json:"fleet"`
	OutputDir string `json:"output_dir"`
	Steps     []Step `json:"machines"`
	// NotInFile are machines of the fleet the file no longer lists, kept
	// because prune was not asked for.
	NotInFile []string `json:"not_in_file,omitempty"`

	manifest *manifest
	// stale: the manifest does not describe the files as they are.
	stale bool
}

// Count is the number of steps with action a.
func (p *Plan) Count(a Action) int {
	n := 0
	for _, s := range p.Steps {
		if s.Action == a {
			n++
		}
	}
	return n
}

// Changed reports whether apply would change anything.
func (p *Plan) Changed() bool { return p.Count(Unchanged) < len(p.Steps) }

// Reader is what a plan reads the store through: a *store.Store, or the
// *store.Batch of an apply, under its lock.
type Reader interface {
	Names() ([]string, error)
	Record(name string) (*store.Record, error)
	Load(name string) (*store.Machine, error)
}

// Options say where apply writes and whether it prunes.
type Options struct {
	// OutputDir is the user-data directory; empty: DefaultOutputDir.
	OutputDir string
	// Prune removes machines of the fleet the file no longer lists.
	Prune bool
	// Removable, when set, says which machines the user agreed to remove,
	// asked from a plan made before the store was locked. Apply plans
	// again under the lock, and refuses a plan that removes any other
	// machine (an *UnconfirmedError), changing nothing. Unset: every
	// removal of the plan (--force).
	Removable func(name string) bool
}

// MachineError is an error of one machine of the store: reading it, or
// rendering it.
type MachineError struct {
	Name string
	Err  error
}

func (e *MachineError) Error() string { return fmt.Sprintf("machine %q: %v", e.Name, e.Err) }

func (e *MachineError) Unwrap() error { return e.Err }

// UnconfirmedError is a plan, made under the store's lock, that removes
// machines the user was not asked about: the fleet changed in between.
type UnconfirmedError struct {
	Fleet string
	Names []string
}

func (e *UnconfirmedError) Error() string {
	return fmt.Sprintf("fleet %s changed since the question: %d more machines to remove (%s); nothing was changed",
		e.Fleet, len(e.Names), strings.Join(e.Names, ", "))
}

func (o Options) dir() string {
	if o.OutputDir == "" {
		return DefaultOutputDir
	}
	return o.OutputDir
}

// MakePlan compares the inventory with the store and the user-data
// directory. A machine of the same name made outside the fleet is a
// Problem, as is a change that needs a machine made anew (its key type or
// CA).
func MakePlan(r Reader, inv *Inventory, o Options) (*Plan, error) {
	names, err := r.Names()
	if err != nil {
		return nil, err
	}
	inStore := make(map[string]bool, len(names))
	for _, n := range names {
		inStore[n] = true
	}
	p := &Plan{Fleet: inv.Name, OutputDir: o.dir()}
	p.manifest = readManifest(p.OutputDir, inv.Name)
	ps := &problems{file: inv.File}
	inFile := make(map[string]bool, len(inv.Machines))
	for i := range inv.Machines {
		m := &inv.Machines[i]
		inFile[m.Settings.Name] = true
		st, err := p.planMachine(r, ps, inStore, m)
		if err != nil {
			return nil, err
		}
		if st != nil {
			p.Steps = append(p.Steps, *st)
		}
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	if err := p.planRemovals(r, names, inFile, o.Prune); err != nil {
		return nil, err
	}
	return p, nil
}

// planMachine is the step of machine m; nil with a problem added.
func (p *Plan) planMachine(r Reader, ps *problems, inStore map[string]bool, m *Machine) (*Step, error) {
	st := &Step{Name: m.Settings.Name, Output: OutputPath(p.OutputDir, *m), machine: m}
	if !inStore[st.Name] {
		st.Action = Create
		return st, nil
	}
	cur, err := r.Record(st.Name)
	if err != nil {
		return nil, &MachineError{Name: st.Name, Err: err}
	}
	if cur.Fleet != p.Fleet {
		clash(ps, m, cur)
		return nil, nil
	}
	if !settable(ps, m, cur) {
		return nil, nil
	}
	return st, p.diff(r, st, cur)
}

// clash is the problem of a name the store has outside this fleet.
func clash(ps *problems, m *Machine, cur *store.Record) {
	owner := "made outside any fleet"
	if cur.Fleet != "" {
		owner = fmt.Sprintf("of fleet %q", cur.Fleet)
	}
	ps.add(m.Line, "", "machine %q is already in the store, %s, and a fleet never changes another's machines: rename it here, or dockbake rm %s", cur.Name, owner, cur.Name)
}

// settable refuses a change that no re-issue can make: the key type and
// the CA stay with a machine for its life.
func settable(ps *problems, m *Machine, cur *store.Record) bool {
	ok := true
	if want := m.Request.KeyType; cur.KeyType != want {
		ps.add(m.Line, "", "machine %q has key_type %q, not %q, and keeps it for its life: remove the machine from the file, apply with --prune, and add it back to make it anew", cur.Name, cur.KeyType, want)
		ok = false
	}
	if want := m.Request.CA; cur.CA != want {
		ps.add(m.Line, "", "machine %q is on CA %q, not %q, and keeps it for its life: remove the machine from the file, apply with --prune, and add it back to make it anew", cur.Name, caName(cur.CA), caName(want))
		ok = false
	}
	return ok
}

func caName(ca string) string {
	if ca == "" {
		return "(its own)"
	}
	return ca
}

// diff sets the step's action from what differs between the machine in
// the store and in the file, and its user-data file: by the manifest
// where it vouches for the file, else by rendering and comparing.
func (p *Plan) diff(r Reader, st *Step, rec *store.Record) error {
	certs, keys := specChanges(rec.Spec, st.machine.Request.Spec)
	st.Changes, st.specChanged = keys, len(keys) > 0
	switch {
	case certs:
		st.Action = Reissue
		return nil
	case st.specChanged:
		st.Action = Rerender
		return nil
	}
	st.Action, st.inputs = Unchanged, recordInputs(rec, st.machine)
	if p.manifest.fresh(st.Name, st.Output, st.inputs) {
		return nil
	}
	p.stale = true
	cur, err := r.Load(st.Name)
	if err != nil {
		return &MachineError{Name: st.Name, Err: err}
	}
	data, err := render(cur, st.machine)
	if err != nil {
		return err
	}
	switch {
	case !exists(st.Output):
		st.Action, st.Changes = Rerender, []string{"user-data file missing"}
	case !sameFile(st.Output, data):
		st.Action, st.Changes = Rerender, []string{"user-data file differs"}
	}
	return nil
}

// specChanges names the settings keys whose values differ between two
// specs, and whether they need a new server certificate (an address).
func specChanges(old, new generator.Spec) (certs bool, keys []string) {
	lists := []struct {
		key      string
		old, new []string
	}{
		{"ip_addresses", old.IPs, new.IPs}, {"dns_names", old.DNSNames, new.DNSNames},
		{"engine_opts", old.Engine.Opts, new.Engine.Opts}, {"engine_labels", old.Engine.Labels, new.Engine.Labels},
		{"engine_env", old.Engine.Env, new.Engine.Env},
		{"engine_registry_mirrors", old.Engine.RegistryMirrors, new.Engine.RegistryMirrors},
		{"engine_insecure_registries", old.Engine.InsecureRegistries, new.Engine.InsecureRegistries},
	}
	for i, l := range lists {
		if !slices.Equal(l.old, l.new) {
			keys = append(keys, l.key)
			certs = certs || i < 2
		}
	}
	for _, v := range []struct {
		key    string
		differ bool
	}{
		{"port", old.Port != new.Port}, {"os", old.OS != new.OS}, {"install", old.Install != new.Install},
		{"engine_storage_driver", old.Engine.StorageDriver != new.Engine.StorageDriver},
		{"docker_user", old.DockerUser != new.DockerUser},
	} {
		if v.differ {
			keys = append(keys, v.key)
		}
	}
	return certs, keys
}

// planRemovals adds the removal of every machine of the fleet the file
// no longer lists, or notes it without prune.
func (p *Plan) planRemovals(r Reader, names []string, inFile map[string]bool, prune bool) error {
	for _, n := range names {
		if inFile[n] {
			continue
		}
		cur, err := r.Record(n)
		var corrupt *store.CorruptError
		if errors.As(err, &corrupt) || errors.Is(err, store.ErrNotFound) {
			continue // not this fleet's to judge; ls names the damage
		}
		if err != nil {
			return err
		}
		switch {
		case cur.Fleet != p.Fleet:
		case prune:
			p.Steps = append(p.Steps, Step{Name: n, Action: Remove})
		default:
			p.NotInFile = append(p.NotInFile, n)
		}
	}
	return nil
}

// render is machine cur's user-data as m asks for it.
func render(cur *store.Machine, m *Machine) ([]byte, error) {
	plan, err := cur.Plan()
	if err != nil {
		return nil, err
	}
	return userData(plan, m)
}

// userData renders a plan in the format and for the target m asks for.
func userData(plan *generator.Plan, m *Machine) ([]byte, error) {
	data, _, err := generator.UserData(plan, m.Settings.Output())
	if err != nil {
		return nil, fmt.Errorf("machine %q: %w", m.Settings.Name, err)
	}
	return data, nil
}
