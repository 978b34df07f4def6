// Package templates embeds the few files dockbake ships as text: the
// systemd drop-in skeleton and Docker's apt signing key.
//
// Templates receive typed data that the generator has already escaped for
// their target language; they only lay it out.
package templates

import (
	"bytes"
	_ "embed"
	"fmt"
	"text/template"
)

//go:embed docker-release-key.asc
var dockerReleaseKey []byte

// DockerReleaseKeyFingerprint is the fingerprint of DockerReleaseKey, checked
// by the tests with gpg.
const DockerReleaseKeyFingerprint = "9DC858229FC7DD38854AE2D88D81803C0EBFCD88"

// DockerReleaseKey returns Docker's armored apt signing key ("Docker Release
// (CE deb)").
func DockerReleaseKey() []byte { return bytes.Clone(dockerReleaseKey) }

//go:embed dropin.conf.tmpl
var dropinText string

var dropin = template.Must(template.New("dropin").Option("missingkey=error").Parse(dropinText))

// DropIn is the data of the docker.service drop-in. Every string must
// already be escaped for systemd.
type DropIn struct {
	Machine     string   // machine name, for the comment; must be one line
	ExecStart   string   // the full command line after "ExecStart="
	Environment []string // each a quoted "NAME=value" assignment
}

// RenderDropIn lays out the drop-in.
func RenderDropIn(d DropIn) ([]byte, error) {
	var b bytes.Buffer
	if err := dropin.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("rendering drop-in: %w", err)
	}
	return b.Bytes(), nil
}
