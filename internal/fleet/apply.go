package fleet

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/store"
)

// Apply makes the inventory's plan: every change of the store in one
// batch, committed once, and each changed machine's user-data written to
// its file. The user-data is written to hidden files first; the store's
// file system and the directory's are synced once; then the batch
// commits and the files are renamed into place. A failure before the
// commit changes nothing; a kill at any moment leaves every machine whole
// or absent, and the next apply finishes the job. Unchanged files are not
// touched, so their timestamps stay.
func Apply(s *store.Store, inv *Inventory, o Options) (*Plan, error) {
	b, err := s.BeginBatch("fleet-" + inv.Name)
	if err != nil {
		return nil, err
	}
	defer b.Discard()
	p, err := MakePlan(b, inv, o)
	if err != nil {
		return nil, err
	}
	if err := p.checkRemovals(o); err != nil {
		return nil, err
	}
	if !p.Changed() {
		return p, p.writeManifest()
	}
	if err := os.MkdirAll(p.OutputDir, 0o700); err != nil {
		return nil, fmt.Errorf("user-data directory %q: %w", p.OutputDir, err)
	}
	removeTemps(p.OutputDir)
	a := &applier{s: s, b: b, p: p}
	if err := a.stage(); err != nil {
		removeTemps(p.OutputDir)
		return nil, err
	}
	if err := syncFS(p.OutputDir); err != nil {
		removeTemps(p.OutputDir)
		return nil, err
	}
	if err := b.Commit(); err != nil {
		removeTemps(p.OutputDir)
		return nil, err
	}
	return p, a.finish()
}

// checkRemovals refuses a plan that removes a machine o does not let it.
func (p *Plan) checkRemovals(o Options) error {
	if o.Removable == nil {
		return nil
	}
	var extra []string
	for _, st := range p.Steps {
		if st.Action == Remove && !o.Removable(st.Name) {
			extra = append(extra, st.Name)
		}
	}
	if len(extra) > 0 {
		return &UnconfirmedError{Fleet: p.Fleet, Names: extra}
	}
	return nil
}

// applier stages a plan's changes in a batch and their user-data in
// hidden files.
type applier struct {
	s *store.Store
	b *store.Batch
	p *Plan
}

// stage stages every step: creates first, side by side, then the rest.
func (a *applier) stage() error {
	var creates []*Step
	for i := range a.p.Steps {
		if st := &a.p.Steps[i]; st.Action == Create {
			creates = append(creates, st)
		}
	}
	if err := a.creates(creates); err != nil {
		return err
	}
	for i := range a.p.Steps {
		if err := a.stageStep(&a.p.Steps[i]); err != nil {
			return err
		}
	}
	return nil
}

// stageStep stages a step other than a create.
func (a *applier) stageStep(st *Step) error {
	var m *store.Machine
	var err error
	switch {
	case st.Action == Remove:
		return a.b.Remove(st.Name)
	case st.Action == Reissue:
		var rot *store.Rotation
		req := st.machine.Request
		rot, err = a.b.Rotate(store.RotateRequest{Name: st.Name, Spec: &req.Spec, CertValidity: req.CertValidity})
		if rot != nil {
			m = rot.Machine
		}
	case st.Action == Rerender && st.specChanged:
		m, err = a.b.SetSpec(st.machine.Request.Spec)
	case st.Action == Rerender:
		m, err = a.b.Load(st.Name)
	default:
		return nil
	}
	if err != nil {
		return err
	}
	data, err := render(m, st.machine)
	if err != nil {
		return err
	}
	st.inputs = inputsOf(m.Spec, m.CAFingerprint, st.machine)
	return writeTemp(st.Output, data)
}

// finish puts every written file in place and removes the files of
// machines removed and of formats no longer asked for.
func (a *applier) finish() error {
	var errs []error
	in := listing(a.p.OutputDir)
	for _, st := range a.p.Steps {
		keep := ""
		if st.Action != Remove && st.Action != Unchanged {
			keep = st.Output
			if err := renameFile(tempOf(st.Output), st.Output); err != nil {
				errs = append(errs, fmt.Errorf("writing %s: %w", st.Output, err))
			}
		}
		if st.Action != Unchanged {
			for _, old := range otherOutputs(a.p.OutputDir, st.Name, keep, in) {
				// Gone since the listing is as good as removed.
				if err := os.Remove(old); err != nil && !errors.Is(err, fs.ErrNotExist) {
					errs = append(errs, err)
				}
			}
		}
	}
	if err := syncDir(a.p.OutputDir); err != nil {
		errs = append(errs, err)
	}
	a.p.stale = true
	if err := a.p.writeManifest(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("the store is changed, but not every user-data file could be written: %w (dockbake fleet apply writes them again)", errors.Join(errs...))
	}
	return nil
}

// writeManifest notes every file of the plan as it is now, when the
// manifest does not say so already.
func (p *Plan) writeManifest() error {
	if !p.stale && len(p.manifest.Machines) == len(p.Steps) {
		return nil
	}
	old := p.manifest.Machines
	p.manifest.Machines = make(map[string]entry, len(p.Steps))
	for _, st := range p.Steps {
		switch {
		case st.Action == Remove:
		case st.Action == Unchanged && !p.stale:
			p.manifest.Machines[st.Name] = old[st.Name]
		default:
			p.manifest.note(st.Name, st.Output, st.inputs)
		}
	}
	return p.manifest.write(p.OutputDir)
}

// removeTemps removes the hidden files an apply that failed or was killed
// left in dir.
func removeTemps(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if n := e.Name(); strings.HasPrefix(n, ".") && strings.HasSuffix(n, ".dockbake-new") {
			os.Remove(filepath.Join(dir, n))
		}
	}
}

// syncFS makes everything written to the file system that holds dir
// durable at once.
func syncFS(dir string) error {
	if d, ok := store.OSDisk().(store.FSSyncer); ok {
		return d.SyncFS(dir)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, fs.ErrInvalid) {
		return err
	}
	return nil
}

// hostPlan is the plan of a machine to be created with host certificates hc.
func hostPlan(m *Machine, hc *generator.HostCerts) (*generator.Plan, error) {
	return generator.BuildPlan(m.Request.Spec, *hc)
}
