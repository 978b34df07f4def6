package generator_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/generator"
)

// TestPlanPerOS holds what each OS and install method gets: packages,
// repository, the dockerd head of the drop-in, --containerd, and how
// docker is started.
func TestPlanPerOS(t *testing.T) {
	for _, tc := range []struct {
		os         string
		install    generator.Install
		packages   string
		repo       string // the dnf baseurl, or the apt source file's line
		dockerd    string // the drop-in's ExecStart head and tail
		containerd bool
		enableNow  bool // systemctl enable --now (the package leaves docker stopped)
	}{
		{"debian-12", generator.InstallDistro, "docker.io", "", "/usr/sbin/dockerd", false, false},
		{"ubuntu-24.04", generator.InstallDockerCE, "docker-ce docker-ce-cli containerd.io", "https://download.docker.com/linux/ubuntu noble stable", "/usr/bin/dockerd", true, false},
		{"rhel-9", generator.InstallDockerCE, "docker-ce docker-ce-cli containerd.io openssl", "https://download.docker.com/linux/rhel/$releasever/$basearch/stable", "/usr/bin/dockerd", true, true},
		{"rocky-9", generator.InstallDockerCE, "docker-ce docker-ce-cli containerd.io openssl", "https://download.docker.com/linux/centos/$releasever/$basearch/stable", "/usr/bin/dockerd", true, true},
		{"almalinux-9", generator.InstallDockerCE, "docker-ce docker-ce-cli containerd.io openssl", "https://download.docker.com/linux/centos/$releasever/$basearch/stable", "/usr/bin/dockerd", true, true},
		{"centos-stream-9", generator.InstallNone, "", "", "dockerd", false, true},
		{"fedora-45", generator.InstallDistro, "moby-engine openssl", "", "/usr/bin/dockerd ... $OPTIONS", false, true},
		{"fedora-44", generator.InstallDockerCE, "docker-ce docker-ce-cli containerd.io openssl", "https://download.docker.com/linux/fedora/$releasever/$basearch/stable", "/usr/bin/dockerd", true, true},
		{"amazonlinux-2023", generator.InstallDistro, "docker openssl", "", "/usr/bin/dockerd ... $OPTIONS $DOCKER_STORAGE_OPTIONS $DOCKER_ADD_RUNTIMES", true, true},
		{"fedora-coreos", generator.InstallNone, "", "", "/usr/bin/dockerd ... $OPTIONS", false, false},
	} {
		t.Run(tc.os+"/"+string(tc.install), func(t *testing.T) {
			spec := formatCase{os: tc.os, install: tc.install}.spec()
			p, err := generator.BuildPlan(spec, generator.FixtureCerts(t))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(p.Packages(), " "); got != tc.packages {
				t.Errorf("packages %q, want %q", got, tc.packages)
			}
			var repos []string
			for _, r := range p.Repos {
				repos = append(repos, r.BaseURL)
				if !strings.HasPrefix(r.GPGKey, "https://download.docker.com/") {
					t.Errorf("repo key %q is not Docker's, over HTTPS", r.GPGKey)
				}
			}
			for _, f := range p.Files {
				if strings.HasPrefix(f.Path, "/etc/apt/sources.list.d/") {
					repos = append(repos, string(f.Content))
				}
			}
			if tc.repo == "" && len(repos) > 0 || tc.repo != "" && !strings.Contains(strings.Join(repos, "\n"), tc.repo) {
				t.Errorf("repositories %q, want %q", repos, tc.repo)
			}
			exec := execStart(t, p)
			head, tail, _ := strings.Cut(tc.dockerd, " ... ")
			if !strings.HasPrefix(exec, head+" ") || !strings.HasSuffix(exec, tail) {
				t.Errorf("ExecStart=%s, want %s", exec, tc.dockerd)
			}
			if strings.Contains(exec, "--containerd=") != tc.containerd {
				t.Errorf("ExecStart=%s: --containerd present is %v, want %v", exec, !tc.containerd, tc.containerd)
			}
			enableNow := slices.ContainsFunc(p.Steps, func(s generator.Step) bool { return s.Shell() == "systemctl enable --now docker.service" })
			if enableNow != tc.enableNow {
				t.Errorf("systemctl enable --now: %v, want %v (steps %v)", enableNow, tc.enableNow, p.Steps)
			}
		})
	}
}

func execStart(t *testing.T, p *generator.Plan) string {
	t.Helper()
	for _, f := range p.Files {
		if f.Path != generator.HostDropIn {
			continue
		}
		for _, line := range strings.Split(string(f.Content), "\n") {
			if v, ok := strings.CutPrefix(line, "ExecStart="); ok && v != "" {
				return v
			}
		}
	}
	t.Fatalf("no ExecStart in the drop-in")
	return ""
}

// TestFlatcarSocketPattern holds Flatcar's recipe: the image's unit keeps
// its command line, DOCKER_OPTS carries the TLS flags, and the TCP socket
// comes only together with them.
func TestFlatcarSocketPattern(t *testing.T) {
	p, err := generator.BuildPlan(formatCase{os: "flatcar"}.spec(), generator.FixtureCerts(t))
	if err != nil {
		t.Fatal(err)
	}
	var dropIn, socket string
	for _, f := range p.Files {
		switch f.Path {
		case generator.HostDropIn:
			dropIn = string(f.Content)
		case generator.HostTLSSocket:
			socket = string(f.Content)
		}
	}
	if strings.Contains(dropIn, "ExecStart") {
		t.Errorf("the Flatcar drop-in replaces the image's command line:\n%s", dropIn)
	}
	for _, want := range []string{`Environment="DOCKER_OPTS=--tlsverify --tlscacert=/etc/docker/ca.pem --tlscert=/etc/docker/server.pem --tlskey=/etc/docker/server-key.pem --live-restore --label=env=prod"`} {
		if !strings.Contains(dropIn, want) {
			t.Errorf("drop-in lacks %s:\n%s", want, dropIn)
		}
	}
	for _, want := range []string{"ListenStream=2376", "Service=docker.service", "WantedBy=sockets.target"} {
		if !strings.Contains(socket, want) {
			t.Errorf("socket unit lacks %s:\n%s", want, socket)
		}
	}
	if len(p.Steps) != 0 || !slices.Equal(p.EnableUnits, []string{"docker-tls-tcp.socket", generator.ApplyPathUnit}) {
		t.Errorf("steps %v, units %v", p.Steps, p.EnableUnits)
	}
}

// TestInstallPerOS covers the install defaults and the refusals, each
// naming what works instead.
func TestInstallPerOS(t *testing.T) {
	for _, tc := range []struct {
		os      string
		def     generator.Install
		refused generator.Install
		hint    string
	}{
		{"ubuntu-24.04", generator.InstallDistro, "", ""},
		{"rocky-9", generator.InstallDockerCE, generator.InstallDistro, "rocky-9 has no Docker package of its own: use install docker-ce"},
		{"fedora-44", generator.InstallDistro, "", ""},
		{"amazonlinux-2023", generator.InstallDistro, generator.InstallDockerCE, "Docker's repository has no packages for amazonlinux-2023: use install distro (its docker package) or none"},
		{"fedora-coreos", generator.InstallNone, generator.InstallDistro, "use install none"},
	} {
		t.Run(tc.os, func(t *testing.T) {
			spec := generator.Spec{Name: "web1", IPs: []string{"203.0.113.10"}, OS: tc.os}.WithDefaults()
			if spec.Install != tc.def {
				t.Errorf("default install %s, want %s", spec.Install, tc.def)
			}
			if tc.refused == "" {
				return
			}
			spec.Install = tc.refused
			if err := spec.Validate(); err == nil || !strings.Contains(err.Error(), tc.hint) {
				t.Errorf("err = %v, want %q", err, tc.hint)
			}
		})
	}
	err := generator.Spec{Name: "web1", IPs: []string{"203.0.113.10"}, OS: "centos-7", Install: generator.InstallDistro, Port: 2376}.Validate()
	if err == nil || !strings.Contains(err.Error(), "use one of debian-12, debian-13, ubuntu-22.04, ubuntu-24.04, rhel-9, rocky-9") {
		t.Errorf("unknown OS: %v", err)
	}
}
