package generator

import (
	"fmt"
	"strings"
)

// Repo is a dnf (yum) package repository, written to
// /etc/yum.repos.d/<ID>.repo before any package is installed.
type Repo struct {
	ID      string // the section name and file stem, e.g. "docker-ce-stable"
	Name    string
	BaseURL string // may hold dnf's $releasever and $basearch
	// GPGKey is the URL of the key the packages are signed with; dnf
	// imports it on first use, and checks every package against it.
	GPGKey string
}

// File is the repository as a .repo file, the way cloud-init's yum_repos
// writes it.
func (r Repo) File() File {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s]\n", r.ID)
	fmt.Fprintf(&b, "name=%s\n", r.Name)
	fmt.Fprintf(&b, "baseurl=%s\n", r.BaseURL)
	fmt.Fprintf(&b, "enabled=1\n")
	fmt.Fprintf(&b, "gpgcheck=1\n")
	fmt.Fprintf(&b, "gpgkey=%s\n", r.GPGKey)
	return File{Path: "/etc/yum.repos.d/" + r.ID + ".repo", Mode: 0o644, Owner: "root:root", Content: []byte(b.String())}
}

// dockerCEYumRepo is Docker's rpm repository for o, as Docker's own
// docker-ce.repo describes it: CentOS packages for the RHEL rebuilds,
// RHEL and Fedora ones for those. Packages are checked against Docker's
// key (fingerprint 060A 61C5 1B55 8A7F 742B 77AA C52F EB6B 621E 9F35),
// fetched over HTTPS from the same host.
func dockerCEYumRepo(o OS) Repo {
	base := "https://download.docker.com/linux/" + o.Distro
	return Repo{
		ID:      "docker-ce-stable",
		Name:    "Docker CE Stable - $basearch",
		BaseURL: base + "/$releasever/$basearch/stable",
		GPGKey:  base + "/gpg",
	}
}
