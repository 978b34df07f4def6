// Package templates embeds the few files dockbake ships as text: the
// systemd drop-ins and socket unit, the skeleton of the setup script, and
// Docker's apt signing key.
//
// Templates receive typed data that the generator has already escaped for
// their target language; they only lay it out.
package templates

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"
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

var dropin = parse("dropin", dropinText)

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
	if err := dropin().Execute(&b, d); err != nil {
		return nil, fmt.Errorf("rendering drop-in: %w", err)
	}
	return b.Bytes(), nil
}

//go:embed dropin-env.conf.tmpl
var envDropinText string

var envDropin = parse("dropin-env", envDropinText)

// EnvDropIn is the data of a docker.service drop-in that keeps the unit's
// command line and sets only its environment (Flatcar's DOCKER_OPTS).
type EnvDropIn struct {
	Machine     string   // machine name, for the comment; must be one line
	Environment []string // each a quoted "NAME=value" assignment
}

// RenderEnvDropIn lays out the environment-only drop-in.
func RenderEnvDropIn(d EnvDropIn) ([]byte, error) {
	return execute(envDropin(), d)
}

//go:embed tls.socket.tmpl
var tlsSocketText string

var tlsSocket = parse("tls.socket", tlsSocketText)

// TLSSocket is the data of the socket unit that hands dockerd its TCP port.
type TLSSocket struct {
	Machine string // machine name, for the comment; must be one line
	Port    string // the TCP port, digits only
}

// RenderTLSSocket lays out the socket unit.
func RenderTLSSocket(s TLSSocket) ([]byte, error) {
	return execute(tlsSocket(), s)
}

// parse returns the template text, parsed on first use: parsing every
// template when the package loads would cost each command that renders
// none of them (env, ls) its time at start-up.
func parse(name, text string) func() *template.Template {
	return sync.OnceValue(func() *template.Template {
		return template.Must(template.New(name).Option("missingkey=error").Parse(text))
	})
}

func execute(t *template.Template, data any) ([]byte, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", t.Name(), err)
	}
	return b.Bytes(), nil
}

//go:embed script.sh.tmpl
var scriptText string

var script = parse("script", scriptText)

// Script is the data of the setup script. Every string except Machine, URL
// and OS must already be quoted for a POSIX shell.
type Script struct {
	Machine  string // machine name, for the comment; must be one line
	URL      string // DOCKER_HOST, for the comment; must be one line
	OS       string // the --os value, for the comment
	Files    []ScriptFile
	Packages []string // shell command lines that install the packages
	Commands []string // shell command lines run last
	Done     string   // quoted message printed at the end
}

// ScriptFile is one file the script writes.
type ScriptFile struct {
	Path, Mode, Owner string // quoted
	// Delimiter ends a here-document holding Content verbatim; empty
	// means Content is a quoted word for printf instead.
	Delimiter string
	Content   string
}

// RenderScript lays out the setup script.
func RenderScript(s Script) ([]byte, error) {
	return execute(script(), s)
}

//go:embed apply.sh.tmpl
var applyScriptText string

var applyScript = parse("apply.sh", applyScriptText)

// ApplyScript is the data of the script that installs TLS certificates
// delivered after boot. Every string except Machine must already be quoted
// for a POSIX shell.
type ApplyScript struct {
	Machine string // machine name, for the comment; must be one line
	// StateDir is root's directory of the mechanism; the others lie in it.
	StateDir, IncomingDir, StatusDir, PreviousDir, AttemptDir string
	CACert, ServerCert, ServerKey                             string // the live TLS files
	Port                                                      string // dockerd's TLS port, digits only
	Sockets                                                   string // socket units started before dockerd, space-separated
	WaitWhole, WaitServe                                      string // seconds, digits only
}

// RenderApplyScript lays out the apply script.
func RenderApplyScript(s ApplyScript) ([]byte, error) {
	return execute(applyScript(), s)
}

//go:embed dockbake-apply.path.tmpl
var applyPathText string

var applyPath = parse("dockbake-apply.path", applyPathText)

//go:embed dockbake-apply.service.tmpl
var applyServiceText string

var applyService = parse("dockbake-apply.service", applyServiceText)

// ApplyUnits is the data of the apply mechanism's path and service units.
// Paths must be absolute and need no escaping in a unit file.
type ApplyUnits struct {
	Machine     string // machine name, for the comment; must be one line
	IncomingDir string // the directory the path unit watches
	Script      string // the apply script
}

// RenderApplyPath lays out dockbake-apply.path.
func RenderApplyPath(u ApplyUnits) ([]byte, error) {
	return execute(applyPath(), u)
}

// RenderApplyService lays out dockbake-apply.service.
func RenderApplyService(u ApplyUnits) ([]byte, error) {
	return execute(applyService(), u)
}
