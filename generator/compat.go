package generator

import "strings"

// checkOS adds the problems of options that do not work on the spec's OS.
func (s Spec) checkOS(es *Errors, o OS) {
	if s.Install != "" && !o.Supports(s.Install) {
		es.add("install", string(s.Install), "%s", installHelp(o))
	} else {
		s.checkSystemdLimits(es, o)
	}
	if o.Boot != BootIgnition {
		return
	}
	if s.DockerUser != "" {
		es.add("docker-user", s.DockerUser, "%s boots with Ignition, which runs no commands: add the user with groups [docker] in your own Butane config", o.ID)
	}
	if o.Butane.Variant != "flatcar" {
		return
	}
	// systemd applies Environment= assignments in order: a second
	// DOCKER_OPTS would replace the TLS flags.
	for _, e := range s.Engine.Env {
		if name, _, _ := strings.Cut(e, "="); name == flatcarOptsVar {
			es.add("engine-env", e, "flatcar's docker.service reads dockbake's TLS flags from DOCKER_OPTS, which this would replace: give dockerd flags with --engine-opt")
		}
	}
}

// installHelp says which install methods an OS takes.
func installHelp(o OS) string {
	switch {
	case o.Boot == BootIgnition:
		return o.ID + " has Docker in its image: use --install none"
	case !o.Supports(InstallDistro):
		return o.ID + " has no Docker package of its own: use --install " + string(InstallDockerCE) + " (Docker's repository) or none (Docker already in the image)"
	case !o.Supports(InstallDockerCE):
		return "Docker's repository has no packages for " + o.ID + ": use --install " + string(InstallDistro) + " (its " + o.Package + " package) or none"
	}
	return "not available on " + o.ID
}
