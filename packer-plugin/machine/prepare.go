package machine

import (
	"errors"
	"fmt"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/internal/settings"
	"github.com/dockbake/dockbake/pki"
	"github.com/dockbake/dockbake/store"
)

// attribute says a field the way HCL does: in the vocabulary every front
// end but the CLI shares, except the machine's name, which is
// machine_name here because Packer's own blocks have a name.
func attribute(field string) string {
	if field == generator.FieldName {
		return "machine_name"
	}
	return settings.Attribute(field)
}

// AttrError is a problem with one attribute of a dockbake block.
type AttrError struct {
	Attr  string // the HCL attribute, e.g. "ip_addresses"
	Value string // the offending value; empty when the problem is a missing one
	Msg   string
}

func (e *AttrError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s: %s", e.Attr, e.Msg)
	}
	return fmt.Sprintf("%s %q: %s", e.Attr, e.Value, e.Msg)
}

// attrErrors turns the core's field errors into one AttrError per problem,
// with every field said as its attribute; other errors pass through.
func attrErrors(err error) []error {
	var fes generator.Errors
	var one *generator.FieldError
	switch {
	case errors.As(err, &fes):
	case errors.As(err, &one):
		fes = generator.Errors{one}
	default:
		return []error{err}
	}
	out := make([]error, 0, len(fes))
	for _, fe := range fes {
		out = append(out, &AttrError{Attr: attribute(fe.Field), Value: fe.Value, Msg: fe.Text(attribute)})
	}
	return out
}

// Prepare fills in the defaults and checks every setting, returning all
// problems at once, each naming its attribute. It touches nothing on disk.
// getenv supplies $DOCKBAKE_STORAGE_PATH and $HOME. defaultOS fills an unset
// os; with defaultOS empty, os stays unset for the caller to detect.
func (c *Config) Prepare(getenv func(string) string, defaultOS string) []error {
	var errs []error
	if c.StoragePath == "" {
		root, err := store.DefaultRoot(getenv)
		if err != nil {
			errs = append(errs, &AttrError{Attr: "storage_path", Msg: err.Error()})
		}
		c.StoragePath = root
	}
	if c.Port == 0 {
		c.Port = generator.DefaultPort
	}
	if c.OS == "" {
		c.OS = defaultOS
	}
	if c.KeyType == "" {
		c.KeyType = string(pki.DefaultKeyType)
	}
	if c.CertValidity == "" {
		c.CertValidity = pki.FormatValidity(pki.DefaultCertValidity)
	}
	if c.CAValidity == "" {
		c.CAValidity = pki.FormatValidity(pki.DefaultCAValidity)
	}
	// An unset os is detected later; check the rest with a stand-in.
	probe := c.Spec(c.OS)
	if c.OS == "" {
		probe.OS = generator.DefaultOS
	}
	if err := probe.Validate(); err != nil {
		errs = append(errs, attrErrors(err)...)
	}
	if _, err := pki.ParseKeyType(c.KeyType); err != nil {
		errs = append(errs, attrErrors(generator.FieldOf(generator.FieldKeyType, err))...)
	}
	for _, v := range []struct{ field, value string }{{generator.FieldCertValidity, c.CertValidity}, {generator.FieldCAValidity, c.CAValidity}} {
		if _, err := pki.ParseValidity(v.value); err != nil {
			errs = append(errs, attrErrors(generator.FieldOf(v.field, err))...)
		}
	}
	if c.CA != "" {
		if err := store.ValidateName("CA", c.CA); err != nil {
			errs = append(errs, attrErrors(err)...)
		}
	}
	return errs
}

// Spec is the machine spec c describes, for a host running osID. An unset
// install takes the OS's own default, as in `dockbake create`.
func (c *Config) Spec(osID string) generator.Spec {
	spec := generator.Spec{
		Name: c.MachineName, IPs: c.IPAddresses, DNSNames: c.DNSNames, Port: c.Port,
		OS: osID, Install: generator.Install(c.Install),
		Engine: generator.Engine{
			Opts: c.EngineOpts, Labels: c.EngineLabels, Env: c.EngineEnv,
			RegistryMirrors: c.EngineRegistryMirrors, InsecureRegistries: c.EngineInsecureRegistries,
			StorageDriver: c.EngineStorageDriver,
		},
		DockerUser: c.DockerUser,
	}
	if spec.Install == "" {
		spec.Install = spec.WithDefaults().Install
	}
	return spec
}
