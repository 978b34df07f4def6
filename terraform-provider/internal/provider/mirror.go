package provider

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/pki"
	"github.com/dockbake/dockbake/store"
)

// materialKey is the private-state key of a machine's material.
const materialKey = "machine"

// material is what the state keeps of a machine beyond its attributes:
// the recorded spec and every key pair, the CA's included, so that the
// machine can be rebuilt in any store (a teammate's, a CI runner's). It
// lives in the resource's private state, never shown in a plan.
type material struct {
	Spec       generator.Spec `json:"spec"`
	CA         string         `json:"ca,omitempty"` // the shared CA's name
	CACert     string         `json:"ca_cert"`
	CAKey      string         `json:"ca_key"`
	ServerCert string         `json:"server_cert"`
	ServerKey  string         `json:"server_key"`
	ClientCert string         `json:"client_cert"`
	ClientKey  string         `json:"client_key"`
}

// privateState is the part of a framework request or response that holds
// private state.
type privateState interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

// materialOf reads machine m's material from store s.
func materialOf(s *store.Store, m *store.Machine) (*material, error) {
	hc, err := m.HostCerts()
	if err != nil {
		return nil, err
	}
	ca, err := s.CAPair(m)
	if err != nil {
		return nil, err
	}
	caKey, err := ca.KeyPEM()
	if err != nil {
		return nil, err
	}
	cf := m.ClientFiles()
	cert, err := os.ReadFile(cf.Cert)
	if err != nil {
		return nil, err
	}
	key, err := os.ReadFile(cf.Key)
	if err != nil {
		return nil, err
	}
	return &material{Spec: m.Spec, CA: m.CA, CACert: string(hc.CACert), CAKey: string(caKey),
		ServerCert: string(hc.ServerCert), ServerKey: string(hc.ServerKey), ClientCert: string(cert), ClientKey: string(key)}, nil
}

func loadMaterial(ctx context.Context, p privateState) (*material, diag.Diagnostics) {
	data, diags := p.GetKey(ctx, materialKey)
	if diags.HasError() || len(data) == 0 {
		return nil, diags
	}
	var mat material
	if err := json.Unmarshal(data, &mat); err != nil {
		diags.AddError("the state's machine material cannot be read", err.Error())
		return nil, diags
	}
	return &mat, diags
}

func saveMaterial(ctx context.Context, p privateState, mat *material) diag.Diagnostics {
	data, err := json.Marshal(mat)
	if err != nil {
		var diags diag.Diagnostics
		diags.AddError("the machine material cannot be kept in the state", err.Error())
		return diags
	}
	return p.SetKey(ctx, materialKey, data)
}

// serverCert is the material's server certificate.
func (mat *material) serverCert() (*x509.Certificate, error) {
	return pki.ParseCertificate([]byte(mat.ServerCert))
}

// restore writes the material into store s as a machine managed by
// Terraform, replacing a machine of that name.
func restore(s *store.Store, mat *material, tool string) (*store.Machine, error) {
	ca, err := pki.LoadPair([]byte(mat.CACert), []byte(mat.CAKey))
	if err != nil {
		return nil, fmt.Errorf("the state's CA of machine %q: %w", mat.Spec.Name, err)
	}
	srv, err := pki.LoadPair([]byte(mat.ServerCert), []byte(mat.ServerKey))
	if err != nil {
		return nil, fmt.Errorf("the state's server certificate of machine %q: %w", mat.Spec.Name, err)
	}
	cli, err := pki.LoadPair([]byte(mat.ClientCert), []byte(mat.ClientKey))
	if err != nil {
		return nil, fmt.Errorf("the state's client certificate of machine %q: %w", mat.Spec.Name, err)
	}
	return s.Import(store.ImportRequest{Spec: mat.Spec, CA: mat.CA, CAPair: ca, Server: srv, Client: cli,
		ToolVersion: tool, Force: true, ManagedBy: managedBy})
}

// mirror makes sure store s holds the state's machine and returns it. A
// machine missing from the store, damaged, or older than the state's (a
// stale mirror) is rebuilt from the state. With adopt, a machine the
// store changed after the state's (regenerate-certs --force, attach
// --force) is returned as it is, changed=true, so that the plan shows the
// change; without it, the state wins.
func mirror(s *store.Store, mat *material, tool string, adopt bool) (m *store.Machine, changed bool, err error) {
	m, err = s.Load(mat.Spec.Name)
	var corrupt *store.CorruptError
	var unknown *store.UnknownRecordError
	switch {
	case errors.As(err, &unknown) && unknown.ToolVersion != tool:
		// Another dockbake wrote a record this one cannot read: a newer
		// version's, most likely. Rebuilding it from the state would drop
		// what that version wrote.
		return nil, false, fmt.Errorf("%w: use that version of dockbake, or a newer one, for this machine; nothing was changed", err)
	case errors.Is(err, store.ErrNotFound), errors.As(err, &corrupt):
		m, err = restore(s, mat, tool)
		return m, false, err
	case err != nil:
		return nil, false, err
	}
	want, err := mat.serverCert()
	if err != nil {
		return nil, false, err
	}
	have, err := m.ServerCert()
	if err == nil && pki.Fingerprint(have) == pki.Fingerprint(want) && m.ManagedBy == managedBy {
		return m, false, nil
	}
	if err == nil && adopt && m.ManagedBy == managedBy && have.NotBefore.After(want.NotBefore) {
		return m, true, nil
	}
	m, err = restore(s, mat, tool)
	return m, false, err
}
