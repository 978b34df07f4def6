package main

import (
	"errors"
	"strconv"
	"strings"

	"github.com/dockbake/dockbake/generator"
)

// fieldFlags is the command line's word for each field of the core: the
// flag that sets it. The machine's name is the NAME argument, which the
// CLI's messages call the machine.
var fieldFlags = map[string]string{
	generator.FieldName:                   "machine",
	generator.FieldIP:                     "--ip",
	generator.FieldDNS:                    "--dns",
	generator.FieldPort:                   "--port",
	generator.FieldOS:                     "--os",
	generator.FieldInstall:                "--install",
	generator.FieldEngineOpt:              "--engine-opt",
	generator.FieldEngineLabel:            "--engine-label",
	generator.FieldEngineEnv:              "--engine-env",
	generator.FieldEngineRegistryMirror:   "--engine-registry-mirror",
	generator.FieldEngineInsecureRegistry: "--engine-insecure-registry",
	generator.FieldEngineStorageDriver:    "--engine-storage-driver",
	generator.FieldDockerUser:             "--docker-user",
	generator.FieldFormat:                 "--format",
	generator.FieldMerge:                  "--merge",
	generator.FieldTarget:                 "--target",
	generator.FieldGzip:                   "--gzip",
	generator.FieldBase64:                 "--base64",
	generator.FieldShell:                  "--shell",
	generator.FieldKeyType:                "--key-type",
	generator.FieldCertValidity:           "--cert-validity",
	generator.FieldCAValidity:             "--ca-validity",
	generator.FieldCA:                     "--ca",
	generator.FieldUser:                   "--user",
}

// flagName says a field the way the command line does.
func flagName(field string) string {
	if n, ok := fieldFlags[field]; ok {
		return n
	}
	return field
}

// rendered is an error of the core that names fields.
type rendered interface {
	Render(generator.Names) string
}

// renderError is err's message with every field of the core said as its
// flag. It looks through errors.Join and through wrappers (fmt's %w, the
// store's CorruptError, hints), keeping their own words around the
// wrapped error's.
func renderError(err error) string {
	if r, ok := err.(rendered); ok {
		return r.Render(flagName)
	}
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		var msgs, said []string
		for _, e := range u.Unwrap() {
			msgs, said = append(msgs, e.Error()), append(said, renderError(e))
		}
		if strings.Join(msgs, "\n") == err.Error() {
			return strings.Join(said, "\n")
		}
	case interface{ Unwrap() error }:
		if inner := u.Unwrap(); inner != nil && inner.Error() != "" {
			msg, im := err.Error(), inner.Error()
			if i := strings.LastIndex(msg, im); i >= 0 {
				return msg[:i] + renderError(inner) + msg[i+len(im):]
			}
		}
	}
	return err.Error()
}

// decimalPort is the value of --port, read as a decimal number only
// (generator.PlainDecimal): the flag package would read 010 as octal 8
// and 0x10 as 16. Its range is the spec's to check (Spec.Validate).
type decimalPort struct{ n int }

func (p *decimalPort) Set(s string) error {
	if !generator.PlainDecimal(s) {
		return errors.New("write the port as a decimal number from 1 to 65535, without a sign, a 0x prefix or leading zeros")
	}
	p.n, _ = strconv.Atoi(s)
	return nil
}

func (p *decimalPort) String() string { return strconv.Itoa(p.n) }
