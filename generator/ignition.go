package generator

import (
	"strconv"

	"github.com/dockbake/dockbake/templates"
)

// HostTLSSocket is the TCP socket unit of the socket-activated layout
// (Flatcar): systemd listens, dockerd wraps the socket in TLS.
const HostTLSSocket = "/etc/systemd/system/docker-tls-tcp.socket"

// ignitionPlan completes p for an OS with Docker in the image and Ignition
// as its first-boot agent. Ignition writes every file in the initramfs,
// before systemd loads a unit, so nothing needs a reload or a restart: the
// plan is files plus the units to enable.
func ignitionPlan(p *Plan, spec Spec, o OS) (*Plan, error) {
	if o.Butane.Variant == "flatcar" {
		return flatcarPlan(p, spec)
	}
	// Fedora CoreOS runs Fedora's moby-engine: the same drop-in as Fedora.
	dropIn, err := renderDropIn(spec, o)
	if err != nil {
		return nil, err
	}
	p.Files = append(p.Files, File{Path: HostDropIn, Mode: 0o644, Owner: "root:root", Content: dropIn})
	p.EnableUnits = []string{"docker.service", ApplyPathUnit}
	return p, nil
}

// flatcarPlan follows Flatcar's own recipe for a TLS API ("Customizing
// Docker"): Flatcar's docker.service keeps its command line (--host=fd://
// and its containerd) and reads $DOCKER_OPTS, so the drop-in only adds the
// TLS flags there, and a socket unit hands dockerd the TCP port. dockerd
// applies TLS to every TCP socket it is given; the socket never comes
// without the flags.
func flatcarPlan(p *Plan, spec Spec) (*Plan, error) {
	dropIn, err := flatcarDropIn(spec)
	if err != nil {
		return nil, err
	}
	socket, err := templates.RenderTLSSocket(templates.TLSSocket{Machine: spec.Name, Port: strconv.Itoa(spec.Port)})
	if err != nil {
		return nil, err
	}
	p.Files = append(p.Files,
		File{Path: HostDropIn, Mode: 0o644, Owner: "root:root", Content: dropIn},
		File{Path: HostTLSSocket, Mode: 0o644, Owner: "root:root", Content: socket},
	)
	p.EnableUnits = []string{"docker-tls-tcp.socket", ApplyPathUnit}
	return p, nil
}

// flatcarDropIn is Flatcar's docker.service drop-in: environment only.
func flatcarDropIn(spec Spec) ([]byte, error) {
	return templates.RenderEnvDropIn(templates.EnvDropIn{Machine: spec.Name, Environment: flatcarEnvironment(spec)})
}

// dropInFor is docker.service's drop-in on o, as the plan writes it.
func dropInFor(spec Spec, o OS) ([]byte, error) {
	if o.Butane.Variant == "flatcar" {
		return flatcarDropIn(spec)
	}
	return renderDropIn(spec, o)
}

// flatcarOptsVar is the variable of Flatcar's docker.service that carries
// dockerd's extra flags.
const flatcarOptsVar = "DOCKER_OPTS"

// flatcarOpts are the flags Flatcar's dockerd gets through $DOCKER_OPTS.
func flatcarOpts(spec Spec) []string {
	return append([]string{
		"--tlsverify",
		"--tlscacert=" + HostCACert,
		"--tlscert=" + HostServerCert,
		"--tlskey=" + HostServerKey,
	}, append(liveRestoreArgs(spec.Engine), engineArgs(spec.Engine)...)...)
}

// flatcarEnvironment are the drop-in's Environment= assignments, quoted.
// systemd unquotes DOCKER_OPTS twice, for Environment= and again when it
// splits $DOCKER_OPTS into words, so each flag is quoted for both.
func flatcarEnvironment(spec Spec) []string {
	env := []string{quoteEnvironment(flatcarOptsVar + "=" + varWords(flatcarOpts(spec)))}
	for _, e := range spec.Engine.Env {
		env = append(env, quoteEnvironment(e))
	}
	return env
}
