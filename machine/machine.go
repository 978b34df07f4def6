// Package machine reads a machine back from the store with its spec
// re-validated, and plans its host. The CLI and the Packer plugin both go
// through it, so a damaged or outdated record is refused the same way
// everywhere.
package machine

import (
	"bytes"
	"encoding/json"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/store"
)

// Machine is a stored machine with its validated spec.
type Machine struct {
	Store  *store.Store
	Record *store.Machine
	Spec   generator.Spec
}

// Load reads machine name from s. A record whose spec does not decode
// strictly or no longer validates is a *store.CorruptError naming the
// machine's directory; a missing machine wraps store.ErrNotFound.
func Load(s *store.Store, name string) (*Machine, error) {
	m, err := s.Load(name)
	if err != nil {
		return nil, err
	}
	var spec generator.Spec
	dec := json.NewDecoder(bytes.NewReader(m.Spec))
	dec.DisallowUnknownFields()
	err = dec.Decode(&spec)
	if err == nil {
		err = spec.Validate()
	}
	if err != nil {
		return nil, &store.CorruptError{Path: s.HostDir(name), Err: err}
	}
	return &Machine{Store: s, Record: m, Spec: spec}, nil
}

// Plan builds what goes onto the machine's host from its spec and host
// certificates. The CA key is never read.
func (m *Machine) Plan() (*generator.Plan, error) {
	hf, err := m.Store.HostFiles(m.Record)
	if err != nil {
		return nil, err
	}
	return generator.BuildPlan(m.Spec, generator.HostCerts{CACert: hf.CACert, ServerCert: hf.ServerCert, ServerKey: hf.ServerKey})
}
