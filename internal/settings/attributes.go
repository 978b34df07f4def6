package settings

import (
	"errors"

	"github.com/dockbake/dockbake/generator"
)

// attributes is this vocabulary's word for each of the core's fields.
var attributes = map[string]string{
	generator.FieldName:                   "name",
	generator.FieldIP:                     "ip_addresses",
	generator.FieldDNS:                    "dns_names",
	generator.FieldPort:                   "port",
	generator.FieldOS:                     "os",
	generator.FieldInstall:                "install",
	generator.FieldEngineOpt:              "engine_opts",
	generator.FieldEngineLabel:            "engine_labels",
	generator.FieldEngineEnv:              "engine_env",
	generator.FieldEngineRegistryMirror:   "engine_registry_mirrors",
	generator.FieldEngineInsecureRegistry: "engine_insecure_registries",
	generator.FieldEngineStorageDriver:    "engine_storage_driver",
	generator.FieldDockerUser:             "docker_user",
	generator.FieldFormat:                 "format",
	generator.FieldMerge:                  "merge",
	generator.FieldTarget:                 "target",
	generator.FieldGzip:                   "gzip",
	generator.FieldBase64:                 "base64",
	generator.FieldShell:                  "shell",
	generator.FieldKeyType:                "key_type",
	generator.FieldCertValidity:           "cert_validity",
	generator.FieldCAValidity:             "ca_validity",
	generator.FieldCA:                     "ca",
	generator.FieldUser:                   "user",
}

// Attribute is the attribute that sets the core's field, e.g.
// "ip_addresses" for generator.FieldIP. It is a generator.Names.
func Attribute(field string) string {
	if a, ok := attributes[field]; ok {
		return a
	}
	return field
}

// Problem is one field error placed on the attribute it concerns.
type Problem struct {
	// Attr is the attribute, e.g. "ip_addresses".
	Attr string
	// Index is the list element the problem is with, counted from 0; -1
	// when it concerns the attribute as a whole.
	Index int
	// Value is the offending value; empty when one is missing.
	Value string
	// Msg says what is wrong and the fix, in this vocabulary.
	Msg string
	// Err is the core's error.
	Err *generator.FieldError
}

// Problems places each of err's field errors on its attribute, and on the
// element of a list attribute when the value is one of s's elements. The
// core checks a list in order, so the k-th problem with a value is placed
// on its k-th occurrence. An error naming no field comes back as ok=false.
func Problems(err error, s Settings) (ps []Problem, ok bool) {
	var fes generator.Errors
	var one *generator.FieldError
	switch {
	case errors.As(err, &fes):
	case errors.As(err, &one):
		fes = generator.Errors{one}
	default:
		return nil, false
	}
	seen := map[[2]string]int{}
	for _, fe := range fes {
		p := Problem{Attr: Attribute(fe.Field), Index: -1, Value: fe.Value, Msg: fe.Text(Attribute), Err: fe}
		if list := s.list(fe.Field); list != nil {
			k := [2]string{fe.Field, fe.Value}
			p.Index = nth(list, fe.Value, seen[k])
			seen[k]++
		}
		ps = append(ps, p)
	}
	return ps, true
}

// list is the list setting of a field, nil for a field that is no list.
func (s Settings) list(field string) []string {
	switch field {
	case generator.FieldIP:
		return s.IPAddresses
	case generator.FieldDNS:
		return s.DNSNames
	case generator.FieldEngineOpt:
		return s.EngineOpts
	case generator.FieldEngineLabel:
		return s.EngineLabels
	case generator.FieldEngineEnv:
		return s.EngineEnv
	case generator.FieldEngineRegistryMirror:
		return s.EngineRegistryMirrors
	case generator.FieldEngineInsecureRegistry:
		return s.EngineInsecureRegistries
	}
	return nil
}

// nth is the index of the n-th (from 0) occurrence of v in list, or -1.
func nth(list []string, v string, n int) int {
	for i, e := range list {
		if e == v {
			if n == 0 {
				return i
			}
			n--
		}
	}
	return -1
}
