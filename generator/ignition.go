package generator

import (
	"strconv"
	"strings"

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
	opts := append([]string{
		"--tlsverify",
		"--tlscacert=" + HostCACert,
		"--tlscert=" + HostServerCert,
		"--tlskey=" + HostServerKey,
	}, append(liveRestoreArgs(spec.Engine), engineArgs(spec.Engine)...)...)
	env := []string{quoteEnvironment("DOCKER_OPTS=" + strings.Join(opts, " "))}
	for _, e := range spec.Engine.Env {
		env = append(env, quoteEnvironment(e))
	}
	dropIn, err := templates.RenderEnvDropIn(templates.EnvDropIn{Machine: spec.Name, Environment: env})
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
