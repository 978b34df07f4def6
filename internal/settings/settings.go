// Package settings is a machine's settings in the one vocabulary that the
// front ends other than the CLI share: the Packer plugin's HCL attributes,
// the Terraform provider's attributes and the fleet inventory's keys
// (ip_addresses, engine_opts, key_type, ...). It converts them, in one
// place, to the core's generator.Spec and store.CreateRequest, and says the
// core's neutral field errors back in that vocabulary.
package settings

import (
	"errors"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/pki"
	"github.com/dockbake/dockbake/store"
)

// Settings describe one machine. An empty value takes the default that
// `dockbake create` gives it.
type Settings struct {
	Name                     string   `yaml:"name"`
	IPAddresses              []string `yaml:"ip_addresses"`
	DNSNames                 []string `yaml:"dns_names"`
	Port                     int      `yaml:"port"`
	OS                       string   `yaml:"os"`
	Install                  string   `yaml:"install"`
	EngineOpts               []string `yaml:"engine_opts"`
	EngineLabels             []string `yaml:"engine_labels"`
	EngineEnv                []string `yaml:"engine_env"`
	EngineRegistryMirrors    []string `yaml:"engine_registry_mirrors"`
	EngineInsecureRegistries []string `yaml:"engine_insecure_registries"`
	EngineStorageDriver      string   `yaml:"engine_storage_driver"`
	DockerUser               string   `yaml:"docker_user"`
	// CA is a shared CA's name; empty: a CA of the machine's own.
	CA           string `yaml:"ca"`
	KeyType      string `yaml:"key_type"`
	CertValidity string `yaml:"cert_validity"`
	CAValidity   string `yaml:"ca_validity"`
	// Format is the user-data's format; empty: the OS's default.
	Format string `yaml:"format"`
	// Target is the provider whose size limit and encoding the user-data
	// must fit; empty: none.
	Target string `yaml:"target"`
}

// Spec is the machine spec s describes, with the defaults of `dockbake
// create` filled in (port, OS, the OS's own install method). It is not
// validated; Request validates it.
func (s Settings) Spec() generator.Spec {
	return generator.Spec{
		Name: s.Name, IPs: s.IPAddresses, DNSNames: s.DNSNames, Port: s.Port,
		OS: s.OS, Install: generator.Install(s.Install),
		Engine: generator.Engine{
			Opts: s.EngineOpts, Labels: s.EngineLabels, Env: s.EngineEnv,
			RegistryMirrors: s.EngineRegistryMirrors, InsecureRegistries: s.EngineInsecureRegistries,
			StorageDriver: s.EngineStorageDriver,
		},
		DockerUser: s.DockerUser,
	}.WithDefaults()
}

// Request checks every setting and converts s into the store's request.
// All problems come back at once, as generator.Errors naming each field
// by its neutral key (Attribute says it in this vocabulary).
func (s Settings) Request(toolVersion string) (store.CreateRequest, error) {
	req := store.CreateRequest{Spec: s.Spec(), CA: s.CA, ToolVersion: toolVersion}
	var es generator.Errors
	collect(&es, req.Spec.Validate())
	var err error
	req.KeyType, err = pki.ParseKeyType(orDefault(s.KeyType, string(pki.DefaultKeyType)))
	collect(&es, generator.FieldOf(generator.FieldKeyType, err))
	req.CertValidity, err = pki.ParseValidity(orDefault(s.CertValidity, pki.FormatValidity(pki.DefaultCertValidity)))
	collect(&es, generator.FieldOf(generator.FieldCertValidity, err))
	req.CAValidity, err = pki.ParseValidity(orDefault(s.CAValidity, pki.FormatValidity(pki.DefaultCAValidity)))
	collect(&es, generator.FieldOf(generator.FieldCAValidity, err))
	if s.CA != "" {
		collect(&es, store.ValidateName("CA", s.CA))
	}
	if o, ok := generator.LookupOS(req.Spec.OS); ok && (s.Format != "" || s.Target != "") {
		collect(&es, s.Output().Check(o))
	}
	if len(es) > 0 {
		return store.CreateRequest{}, es
	}
	return req, nil
}

// Output is how s says the user-data should be written: its format (empty:
// the OS's default) and target. Request checks it against the OS.
func (s Settings) Output() generator.Output {
	return generator.Output{Format: generator.Format(s.Format), Target: s.Target}
}

// FromMachine is the settings of a stored machine, as a front end shows
// them (for an import into Terraform, or a comparison with an inventory).
func FromMachine(m *store.Machine) Settings {
	sp := m.Spec
	return Settings{
		Name: sp.Name, IPAddresses: sp.IPs, DNSNames: sp.DNSNames, Port: sp.Port,
		OS: sp.OS, Install: string(sp.Install),
		EngineOpts: sp.Engine.Opts, EngineLabels: sp.Engine.Labels, EngineEnv: sp.Engine.Env,
		EngineRegistryMirrors: sp.Engine.RegistryMirrors, EngineInsecureRegistries: sp.Engine.InsecureRegistries,
		EngineStorageDriver: sp.Engine.StorageDriver, DockerUser: sp.DockerUser,
		CA: m.CA, KeyType: string(m.KeyType),
	}
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// collect adds err's field errors to es; an error that names no field
// cannot come from these checks and is kept as a field error of the name.
func collect(es *generator.Errors, err error) {
	if err == nil {
		return
	}
	var fes generator.Errors
	var one *generator.FieldError
	switch {
	case errors.As(err, &fes):
		*es = append(*es, fes...)
	case errors.As(err, &one):
		*es = append(*es, one)
	default:
		*es = append(*es, &generator.FieldError{Field: generator.FieldName, Msg: err.Error()})
	}
}
