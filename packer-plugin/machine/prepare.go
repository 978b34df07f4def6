package machine

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/pki"
	"github.com/dockbake/dockbake/store"
)

// Defaults of the lifetimes, the same as `dockbake create`'s.
const (
	DefaultCertValidity = "825d"
	DefaultCAValidity   = "3650d"
)

// attributes maps a generator.FieldError's Field, the spec key that is also
// the CLI flag, to the HCL attribute that sets it.
var attributes = map[string]string{
	"name":                     "machine_name",
	"ip":                       "ip_addresses",
	"dns":                      "dns_names",
	"port":                     "port",
	"os":                       "os",
	"install":                  "install",
	"engine-opt":               "engine_opts",
	"engine-label":             "engine_labels",
	"engine-env":               "engine_env",
	"engine-registry-mirror":   "engine_registry_mirrors",
	"engine-insecure-registry": "engine_insecure_registries",
	"engine-storage-driver":    "engine_storage_driver",
	"docker-user":              "docker_user",
}

// flagNames rewrites the CLI flags that generator messages mention ("use
// --engine-label") into attribute names. Longer flags come first, so none is
// cut short by a flag that is its prefix.
var flagNames = func() *strings.Replacer {
	var pairs []string
	for _, f := range []string{
		"engine-insecure-registry", "engine-registry-mirror", "engine-storage-driver",
		"engine-label", "engine-opt", "engine-env", "docker-user", "install", "name", "port", "dns", "ip", "os",
	} {
		pairs = append(pairs, "--"+f, attributes[f])
	}
	return strings.NewReplacer(pairs...)
}()

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

// attrErrors turns a generator validation error into one AttrError per
// problem; other errors pass through unchanged.
func attrErrors(err error) []error {
	var fes generator.Errors
	if !errors.As(err, &fes) {
		return []error{err}
	}
	out := make([]error, 0, len(fes))
	for _, fe := range fes {
		attr, ok := attributes[fe.Field]
		if !ok {
			attr = fe.Field
		}
		out = append(out, &AttrError{Attr: attr, Value: fe.Value, Msg: flagNames.Replace(fe.Msg)})
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
		c.CertValidity = DefaultCertValidity
	}
	if c.CAValidity == "" {
		c.CAValidity = DefaultCAValidity
	}
	badName := false
	if c.MachineName != "" {
		if err := store.ValidateName("machine", c.MachineName); err != nil {
			badName = true
			errs = append(errs, &AttrError{Attr: "machine_name", Value: c.MachineName, Msg: "not a valid name: use 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit"})
		}
	}
	// An unset os is detected later; check the rest with a stand-in.
	probe := c.Spec(c.OS)
	if c.OS == "" {
		probe.OS = generator.DefaultOS
	}
	if err := probe.Validate(); err != nil {
		for _, e := range attrErrors(err) {
			// A name the store refuses was reported above already.
			if ae, ok := e.(*AttrError); ok && ae.Attr == "machine_name" && badName {
				continue
			}
			errs = append(errs, e)
		}
	}
	if _, err := pki.ParseKeyType(c.KeyType); err != nil {
		errs = append(errs, &AttrError{Attr: "key_type", Value: c.KeyType, Msg: strings.TrimPrefix(err.Error(), fmt.Sprintf("unknown key type %q: ", c.KeyType))})
	}
	for _, v := range []struct{ attr, value string }{{"cert_validity", c.CertValidity}, {"ca_validity", c.CAValidity}} {
		if _, err := pki.ParseValidity(v.value); err != nil {
			errs = append(errs, &AttrError{Attr: v.attr, Value: v.value, Msg: err.Error()})
		}
	}
	if c.CA != "" {
		if err := store.ValidateName("CA", c.CA); err != nil {
			errs = append(errs, &AttrError{Attr: "ca", Value: c.CA, Msg: "not a valid CA name: use 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit"})
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
