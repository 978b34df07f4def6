package generator

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dockbake/dockbake/pki"
)

// The fields: the neutral keys by which the core names a user's inputs. A
// front end says each in its own words: the CLI as a flag (--ip), the
// Packer plugin as an HCL attribute (ip_addresses), a Terraform provider as
// an attribute path. The core never writes a front end's word for a field.
const (
	FieldName                   = "name" // the machine's name
	FieldIP                     = "ip"
	FieldDNS                    = "dns"
	FieldPort                   = "port"
	FieldOS                     = "os"
	FieldInstall                = "install"
	FieldEngineOpt              = "engine_opt"
	FieldEngineLabel            = "engine_label"
	FieldEngineEnv              = "engine_env"
	FieldEngineRegistryMirror   = "engine_registry_mirror"
	FieldEngineInsecureRegistry = "engine_insecure_registry"
	FieldEngineStorageDriver    = "engine_storage_driver"
	FieldDockerUser             = "docker_user"
	FieldFormat                 = "format"
	FieldMerge                  = "merge" // a user's own user-data part
	FieldTarget                 = "target"
	FieldGzip                   = "gzip"
	FieldBase64                 = "base64"
	FieldShell                  = "shell"
	FieldKeyType                = "key_type"
	FieldCertValidity           = "cert_validity"
	FieldCAValidity             = "ca_validity"
	FieldCA                     = "ca"   // a shared CA's name
	FieldUser                   = "user" // a teammate's client certificate's user
)

// Fields lists every field key, for front ends to check that they have a
// word for each.
func Fields() []string {
	return []string{
		FieldName, FieldIP, FieldDNS, FieldPort, FieldOS, FieldInstall,
		FieldEngineOpt, FieldEngineLabel, FieldEngineEnv, FieldEngineRegistryMirror,
		FieldEngineInsecureRegistry, FieldEngineStorageDriver, FieldDockerUser,
		FieldFormat, FieldMerge, FieldTarget, FieldGzip, FieldBase64, FieldShell,
		FieldKeyType, FieldCertValidity, FieldCAValidity, FieldCA, FieldUser,
	}
}

// Names is a front end's word for each field: "--ip" on the command line,
// "ip_addresses" in HCL.
type Names func(field string) string

// Neutral names each field by its key, as the core's own messages do.
func Neutral(field string) string { return field }

// FieldError is a problem with one input value. Field is its neutral key;
// Msg and Hint may mention other fields as {key} (for example "use
// {engine_label}"), which Render says in the front end's words.
type FieldError struct {
	Field string // one of Fields()
	Value string // the offending value as given; empty when one is missing
	Msg   string // what is wrong
	Hint  string // the fix, if there is one
}

// Text is the problem and its fix, with the fields it mentions said by names.
func (e *FieldError) Text(names Names) string {
	msg := e.Msg
	if e.Hint != "" {
		msg += ": " + e.Hint
	}
	return say(msg, names)
}

// Render is the whole message in a front end's words: the field, the
// value and Text, as in `--ip "10.0.0.300": not an IP address`.
func (e *FieldError) Render(names Names) string {
	if e.Value == "" {
		return fmt.Sprintf("%s: %s", names(e.Field), e.Text(names))
	}
	return fmt.Sprintf("%s %q: %s", names(e.Field), e.Value, e.Text(names))
}

func (e *FieldError) Error() string { return e.Render(Neutral) }

// say replaces each {key} of a known field in text with names(key). Other
// braces are left alone.
func say(text string, names Names) string {
	var b strings.Builder
	for {
		open := strings.IndexByte(text, '{')
		end := strings.IndexByte(text[open+1:], '}')
		if open < 0 || end < 0 {
			break
		}
		key := text[open+1 : open+1+end]
		b.WriteString(text[:open])
		if isField(key) {
			b.WriteString(names(key))
		} else {
			b.WriteString(text[open : open+2+end])
		}
		text = text[open+2+end:]
	}
	b.WriteString(text)
	return b.String()
}

func isField(key string) bool {
	for _, f := range Fields() {
		if f == key {
			return true
		}
	}
	return false
}

// FieldOf names the field that err's value came from. A *pki.ValueError
// (pki reads key types and lifetimes without knowing where they came from)
// becomes a FieldError of that field; other errors pass through.
func FieldOf(field string, err error) error {
	var ve *pki.ValueError
	if !errors.As(err, &ve) {
		return err
	}
	return &FieldError{Field: field, Value: ve.Value, Msg: ve.Msg, Hint: ve.Hint}
}

// Errors collects every problem in a spec, so a user fixes them in one go.
type Errors []*FieldError

func (es Errors) Error() string { return es.Render(Neutral) }

// Render says every problem in a front end's words, one per line.
func (es Errors) Render(names Names) string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Render(names)
	}
	return strings.Join(msgs, "\n")
}

func (es *Errors) add(field, value, msg, hint string) {
	*es = append(*es, &FieldError{Field: field, Value: value, Msg: msg, Hint: hint})
}

func (es Errors) err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// Note tells the user what the core changed or what they still have to do
// about one input, such as the encoding a target needs. Like a FieldError
// it names the input by its neutral key, for the front end to say.
type Note struct {
	Field string // one of Fields()
	Value string // the input's value
	Msg   string // what changed, or what to do; may mention {key}
}

// Render is the note in a front end's words, as in `--target gcp: ...`.
func (n Note) Render(names Names) string {
	return fmt.Sprintf("%s %s: %s", names(n.Field), n.Value, say(n.Msg, names))
}

// String is the note with neutral keys.
func (n Note) String() string { return n.Render(Neutral) }
