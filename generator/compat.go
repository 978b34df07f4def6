package generator

import (
	"strings"
	"unicode"
)

// checkOS adds the problems of options that do not work on the spec's OS.
func (s Spec) checkOS(es *Errors, o OS) {
	if s.Install != "" && !o.Supports(s.Install) {
		msg, hint := installHelp(o)
		es.add(FieldInstall, string(s.Install), msg, hint)
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
	// Flatcar's unit expands $DOCKER_OPTS unquoted: systemd splits it at
	// white space, so a value cannot contain any.
	for _, f := range []struct {
		field string
		vals  []string
	}{{FieldEngineOpt, s.Engine.Opts}, {FieldEngineLabel, s.Engine.Labels},
		{FieldEngineRegistryMirror, s.Engine.RegistryMirrors}, {FieldEngineInsecureRegistry, s.Engine.InsecureRegistries}} {
		for _, v := range f.vals {
			if strings.IndexFunc(v, unicode.IsSpace) >= 0 {
				es.add(f.field, v, "flatcar passes engine options in DOCKER_OPTS, which splits at white space", "remove the spaces")
			}
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
