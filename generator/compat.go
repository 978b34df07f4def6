package generator

import (
	"strings"
	"unicode"
)

// checkOS adds the problems of options that do not work on the spec's OS.
func (s Spec) checkOS(es *Errors, o OS) {
	if s.Install != "" && !o.Supports(s.Install) {
		es.add("install", string(s.Install), "%s", installHelp(o))
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
	// Flatcar's unit expands $DOCKER_OPTS unquoted: systemd splits it at
	// white space, so a value cannot contain any.
	for _, f := range []struct {
		field string
		vals  []string
	}{{"engine-opt", s.Engine.Opts}, {"engine-label", s.Engine.Labels},
		{"engine-registry-mirror", s.Engine.RegistryMirrors}, {"engine-insecure-registry", s.Engine.InsecureRegistries}} {
		for _, v := range f.vals {
			if strings.IndexFunc(v, unicode.IsSpace) >= 0 {
				es.add(f.field, v, "flatcar passes engine options in DOCKER_OPTS, which splits at white space: remove the spaces")
			}
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
