package generator

import (
	"slices"
	"strings"
)

// OS is an operating system dockbake renders for: how it boots, which
// package manager it has and where its Docker comes from.
type OS struct {
	ID       string // the --os value, e.g. "debian-12"
	Distro   string // path component of Docker's repository (debian, ubuntu, centos, rhel, fedora); empty: Docker has none
	Codename string // the release's apt suite

	Family  Family // package manager; FamilyImage when Docker comes with the image
	Boot    Boot   // what reads the user-data on first boot
	Package string // the distribution's own Docker package; empty: it has none

	// Installs are the install methods that work here; the first is the
	// default.
	Installs []Install

	// Butane is the Butane variant and version for Ignition OSes.
	Butane ButaneVersion

	// daemon is how the distribution's own package (or the image's Docker)
	// starts dockerd.
	daemon dockerd
}

// Family is the package manager of an OS.
type Family string

// The package manager families.
const (
	FamilyApt   Family = "apt"   // Debian, Ubuntu: apt-get, .deb
	FamilyDNF   Family = "dnf"   // RHEL-compatible, Fedora, Amazon Linux: dnf, .rpm
	FamilyImage Family = "image" // Flatcar, Fedora CoreOS: no packages, Docker is in the image
)

// Boot is the first-boot agent that reads user-data.
type Boot string

// The first-boot agents.
const (
	BootCloudInit Boot = "cloud-init" // #cloud-config, MIME multipart, shell scripts
	BootIgnition  Boot = "ignition"   // Ignition JSON, as Butane translates it
)

// title names the agent in messages.
func (b Boot) title() string {
	if b == BootIgnition {
		return "Ignition"
	}
	return string(b)
}

// ButaneVersion names a Butane spec, variant and version, and the version
// of Ignition's spec that Butane translates it to.
type ButaneVersion struct {
	Variant  string // "fcos" or "flatcar"
	Version  string // e.g. "1.6.0"
	Ignition string // e.g. "3.5.0"
}

// The package heads of the daemon command line. Debian's docker.io has
// /usr/sbin/dockerd and Docker CE /usr/bin/dockerd; a wrong absolute path
// fails with status=203/EXEC.
var (
	// Fedora's moby-engine (also in Fedora CoreOS): the unit runs
	// /usr/bin/dockerd --host=fd:// --exec-opt native.cgroupdriver=systemd $OPTIONS
	// with EnvironmentFile=-/etc/sysconfig/docker, whose OPTIONS point
	// dockerd at /usr/libexec/docker/docker-init and docker-proxy: keep them.
	// dockerd supervises its own containerd there.
	mobyEngine = dockerd{path: "/usr/bin/dockerd",
		extra:   []string{"--exec-opt", "native.cgroupdriver=systemd"},
		envArgs: []string{"$OPTIONS"}}
	// Amazon Linux's docker: /usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock
	// $OPTIONS $DOCKER_STORAGE_OPTIONS $DOCKER_ADD_RUNTIMES, the variables from
	// /etc/sysconfig/docker* and the unit's ExecStartPre.
	amazonDocker = dockerd{path: "/usr/bin/dockerd", containerd: true,
		envArgs: []string{"$OPTIONS", "$DOCKER_STORAGE_OPTIONS", "$DOCKER_ADD_RUNTIMES"}}
)

var (
	aptInstalls    = []Install{InstallDistro, InstallDockerCE, InstallNone}
	rhelInstalls   = []Install{InstallDockerCE, InstallNone}
	fedoraInstalls = []Install{InstallDistro, InstallDockerCE, InstallNone}
	amazonInstalls = []Install{InstallDistro, InstallNone}
	imageOnly      = []Install{InstallNone}
	debianDockerIO = dockerd{path: "/usr/sbin/dockerd"}
	ubuntuDockerIO = dockerd{path: "dockerd"} // /usr/bin on 24.04, /usr/sbin on 22.04: let systemd search
)

// rhelCloudInit is a RHEL 9 compatible OS; distro names the flavour of
// Docker's repository it takes.
func rhelCloudInit(id, distro string) OS {
	return OS{ID: id, Distro: distro, Family: FamilyDNF, Boot: BootCloudInit, Installs: rhelInstalls}
}

// fedoraCloudInit is a Fedora release, with moby-engine as its Docker.
func fedoraCloudInit(id string) OS {
	return OS{ID: id, Distro: "fedora", Family: FamilyDNF, Boot: BootCloudInit, Package: "moby-engine", Installs: fedoraInstalls, daemon: mobyEngine}
}

// osTable is the one table of supported OSes, families together in the
// order --help lists them. Fedora keeps its current two releases.
var osTable = []OS{
	{ID: "debian-12", Distro: "debian", Codename: "bookworm", Family: FamilyApt, Boot: BootCloudInit, Package: "docker.io", Installs: aptInstalls, daemon: debianDockerIO},
	{ID: "debian-13", Distro: "debian", Codename: "trixie", Family: FamilyApt, Boot: BootCloudInit, Package: "docker.io", Installs: aptInstalls, daemon: debianDockerIO},
	{ID: "ubuntu-22.04", Distro: "ubuntu", Codename: "jammy", Family: FamilyApt, Boot: BootCloudInit, Package: "docker.io", Installs: aptInstalls, daemon: ubuntuDockerIO},
	{ID: "ubuntu-24.04", Distro: "ubuntu", Codename: "noble", Family: FamilyApt, Boot: BootCloudInit, Package: "docker.io", Installs: aptInstalls, daemon: ubuntuDockerIO},

	// RHEL 9 and its rebuilds have no Docker package of their own (podman-docker
	// is a shim): Docker CE from Docker's repository, CentOS flavour except on RHEL.
	rhelCloudInit("rhel-9", "rhel"),
	rhelCloudInit("rocky-9", "centos"),
	rhelCloudInit("almalinux-9", "centos"),
	rhelCloudInit("centos-stream-9", "centos"),

	fedoraCloudInit("fedora-44"),
	fedoraCloudInit("fedora-45"),

	// Docker CE has no Amazon Linux repository; the distribution's docker is the way.
	{ID: "amazonlinux-2023", Family: FamilyDNF, Boot: BootCloudInit, Package: "docker", Installs: amazonInstalls, daemon: amazonDocker},

	// Docker is in these images; Ignition writes the files before systemd
	// loads any unit.
	{ID: "flatcar", Family: FamilyImage, Boot: BootIgnition, Installs: imageOnly,
		Butane: ButaneVersion{Variant: "flatcar", Version: "1.1.0", Ignition: "3.4.0"}},
	{ID: "fedora-coreos", Family: FamilyImage, Boot: BootIgnition, Package: "moby-engine", Installs: imageOnly,
		Butane: ButaneVersion{Variant: "fcos", Version: "1.6.0", Ignition: "3.5.0"}, daemon: mobyEngine},
}

// DefaultOS is the OS of a machine when none is given.
const DefaultOS = "ubuntu-24.04"

// OSUnknown is the OS of a spec whose host's OS nobody has said: a Docker
// Machine host brought in as it is (its config.json does not record the
// OS). Such a spec validates, so the machine is stored and env, verify and
// the certificates work, but BuildPlan refuses it with ErrOSUnknown:
// user-data is written for one OS, and guessing would be a silent lie.
const OSUnknown = ""

// ErrOSUnknown is BuildPlan's problem with a spec whose OS is OSUnknown.
// Front ends test for it with errors.Is and say how to record the OS.
var ErrOSUnknown = &FieldError{Field: FieldOS, Msg: "the host's OS is not known, and user-data is written for one OS"}

// LookupOS finds an OS by its --os value.
func LookupOS(id string) (OS, bool) {
	for _, o := range osTable {
		if o.ID == id {
			return o, true
		}
	}
	return OS{}, false
}

// OSNames lists the supported --os values, families together: Debian and
// Ubuntu, the RHEL family, Fedora, Amazon Linux, then the Ignition OSes.
func OSNames() []string {
	names := make([]string, len(osTable))
	for i, o := range osTable {
		names[i] = o.ID
	}
	return names
}

// DefaultInstall reports the install method used on o when none is given.
func (o OS) DefaultInstall() Install {
	if len(o.Installs) == 0 {
		return DefaultInstall
	}
	return o.Installs[0]
}

// Supports reports whether install method in works on o.
func (o OS) Supports(in Install) bool { return slices.Contains(o.Installs, in) }

// Install is how Docker gets onto the host.
type Install string

// The install methods.
const (
	InstallDistro   Install = "distro"    // the distribution's own package (docker.io, moby-engine, docker)
	InstallDockerCE Install = "docker-ce" // Docker's own repository
	InstallNone     Install = "none"      // Docker is already in the image
)

// DefaultInstall is the install method when none is given on an OS with a
// Docker package of its own.
const DefaultInstall = InstallDistro

// InstallNames lists the --install values.
func InstallNames() []string {
	return []string{string(InstallDistro), string(InstallDockerCE), string(InstallNone)}
}

// dockerd is the daemon command line's head for an OS and install method.
type dockerd struct {
	path       string
	containerd bool     // pass --containerd= as the package's own unit does
	extra      []string // further flags the package's own unit passes
	// envArgs are unquoted $VARIABLES the package's unit passes, filled from
	// its EnvironmentFile; systemd splits each into words.
	envArgs []string
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
	case in == InstallDistro && o.daemon.path != "":
		return o.daemon
	case in == InstallNone && o.Family == FamilyImage && o.daemon.path != "":
		return o.daemon // the image's Docker is the distribution's package
	}
	return dockerd{path: "dockerd"}
}

// packagesFor lists the packages of an install method on o. Where it
// installs Docker on a dnf system it installs openssl too, which the apply
// script checks certificates with: RHEL-compatible, Fedora and Amazon
// Linux images need not have the command (apt systems have it through
// ca-certificates).
func packagesFor(o OS, in Install) []string {
	var pkgs []string
	switch in {
	case InstallDistro:
		pkgs = []string{o.Package}
	case InstallDockerCE:
		pkgs = []string{"docker-ce", "docker-ce-cli", "containerd.io"}
	default:
		return nil
	}
	if o.Family == FamilyDNF {
		pkgs = append(pkgs, "openssl")
	}
	return pkgs
}

func joinNames(names []string) string { return strings.Join(names, ", ") }
