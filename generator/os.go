package generator

import (
	"sort"
	"strings"
)

// OS is an operating system dockbake renders for.
type OS struct {
	ID       string // the --os value, e.g. "debian-12"
	Distro   string // "debian" or "ubuntu": the path component of Docker's apt repository
	Codename string // the release's apt suite
}

var operatingSystems = map[string]OS{
	"debian-12":    {ID: "debian-12", Distro: "debian", Codename: "bookworm"},
	"debian-13":    {ID: "debian-13", Distro: "debian", Codename: "trixie"},
	"ubuntu-22.04": {ID: "ubuntu-22.04", Distro: "ubuntu", Codename: "jammy"},
	"ubuntu-24.04": {ID: "ubuntu-24.04", Distro: "ubuntu", Codename: "noble"},
}

// DefaultOS is the OS of a machine when none is given.
const DefaultOS = "ubuntu-24.04"

// LookupOS finds an OS by its --os value.
func LookupOS(id string) (OS, bool) {
	o, ok := operatingSystems[id]
	return o, ok
}

// OSNames lists the supported --os values, sorted.
func OSNames() []string {
	names := make([]string, 0, len(operatingSystems))
	for n := range operatingSystems {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Install is how Docker gets onto the host.
type Install string

// The install methods.
const (
	InstallDistro   Install = "distro"    // the distribution's docker.io package
	InstallDockerCE Install = "docker-ce" // Docker's own apt repository
	InstallNone     Install = "none"      // Docker is already in the image
)

// DefaultInstall is the install method when none is given.
const DefaultInstall = InstallDistro

// InstallNames lists the --install values.
func InstallNames() []string {
	return []string{string(InstallDistro), string(InstallDockerCE), string(InstallNone)}
}

// dockerd is the daemon command line's head for an OS and install method.
type dockerd struct {
	path       string
	containerd bool // pass --containerd= as the package's own unit does
}

// daemonFor picks the dockerd binary. The absolute path must match the
// package: Debian's docker.io has /usr/sbin/dockerd, Docker CE /usr/bin/dockerd,
// and a wrong absolute path fails with status=203/EXEC. Where the package is
// not known (an image built elsewhere) or differs between releases
// (Ubuntu's docker.io), the bare name lets systemd (>= 239, every supported
// OS) search its fixed path.
func daemonFor(o OS, in Install) dockerd {
	switch {
	case in == InstallDockerCE:
		return dockerd{path: "/usr/bin/dockerd", containerd: true}
	case in == InstallDistro && o.Distro == "debian":
		return dockerd{path: "/usr/sbin/dockerd"}
	}
	return dockerd{path: "dockerd"}
}

func joinNames(names []string) string { return strings.Join(names, ", ") }
