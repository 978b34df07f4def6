package generator

import "strings"

// checkOS adds the problems of options that do not work on the spec's OS.
func (s Spec) checkOS(es *Errors, o OS) {
	if s.Install != "" && !o.Supports(s.Install) {
		msg, hint := installHelp(o)
		es.add(FieldInstall, string(s.Install), msg, hint)
	} else {
		s.checkSystemdLimits(es, o)
	}
	if o.Boot != BootIgnition {
		return
	}
	if s.DockerUser != "" {
		es.add(FieldDockerUser, s.DockerUser, o.ID+" boots with Ignition, which runs no commands", "add the user with groups [docker] in your own Butane config")
	}
	if o.Butane.Variant != "flatcar" {
		return
	}
	// systemd applies Environment= assignments in order: a second
	// DOCKER_OPTS would replace the TLS flags.
	for _, e := range s.Engine.Env {
		if name, _, _ := strings.Cut(e, "="); name == flatcarOptsVar {
			es.add(FieldEngineEnv, e, "flatcar's docker.service reads dockbake's TLS flags from DOCKER_OPTS, which this would replace", "give dockerd flags with {engine_opt}")
		}
	}
}

// installHelp says why an OS does not take an install method, and which
// methods it takes.
func installHelp(o OS) (msg, hint string) {
	switch {
	case o.Boot == BootIgnition:
		return o.ID + " has Docker in its image", "use {install} none"
	case !o.Supports(InstallDistro):
		return o.ID + " has no Docker package of its own", "use {install} " + string(InstallDockerCE) + " (Docker's repository) or none (Docker already in the image)"
	case !o.Supports(InstallDockerCE):
		return "Docker's repository has no packages for " + o.ID, "use {install} " + string(InstallDistro) + " (its " + o.Package + " package) or none"
	}
	return "not available on " + o.ID, ""
}
