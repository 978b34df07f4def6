package generator_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/generator"
)

// TestStepShell runs each step's line in a real sh and compares the argv
// and environment the command receives with the step's.
func TestStepShell(t *testing.T) {
	for _, tc := range []struct {
		name string
		step generator.Step
	}{
		{"plain", generator.Step{Argv: generator.Command{"printf", "%s\n", "a"}}},
		{"quotes", generator.Step{Argv: generator.Command{"printf", "%s\n", "it's $HOME", "`id`; x"}}},
		{"environment", generator.Step{Env: []string{"DEBIAN_FRONTEND=noninteractive", "MSG=a 'b' $c"},
			Argv: generator.Command{"sh", "-c", `printf '%s\n' "$DEBIAN_FRONTEND" "$MSG"`}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := exec.Command("sh", "-c", tc.step.Shell()).Output()
			if err != nil {
				t.Fatalf("%s: %v", tc.step.Shell(), err)
			}
			var want []string
			if len(tc.step.Env) > 0 {
				for _, e := range tc.step.Env {
					_, v, _ := strings.Cut(e, "=")
					want = append(want, v)
				}
			} else {
				want = tc.step.Argv[2:]
			}
			if got := strings.TrimSuffix(string(out), "\n"); got != strings.Join(want, "\n") {
				t.Errorf("%s printed %q, want %q", tc.step.Shell(), got, strings.Join(want, "\n"))
			}
		})
	}
}

// TestStepsWithoutSystemd holds, for real plans, what runs where systemd
// does not (a chroot or container build): the package steps but not the
// wait for cloud-init, the user's commands, and of the systemctl calls only
// the enable, without --now.
func TestStepsWithoutSystemd(t *testing.T) {
	for _, tc := range []struct {
		os   string
		want []string
	}{
		{"debian-12", []string{
			"DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 update",
			"DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 -y -o Dpkg::Options::=--force-confold install docker.io",
			"sh -c 'getent group docker >/dev/null || groupadd --system docker'",
			"sh -c 'id -u alice >/dev/null 2>&1 || useradd --create-home --shell /bin/bash alice'",
			"usermod -aG docker alice",
			"systemctl enable dockbake-apply.path",
			"systemctl enable docker.service",
		}},
		{"rocky-9", []string{
			"dnf -q makecache",
			"dnf install -y docker-ce docker-ce-cli containerd.io openssl",
			"sh -c 'getent group docker >/dev/null || groupadd --system docker'",
			"sh -c 'id -u alice >/dev/null 2>&1 || useradd --create-home --shell /bin/bash alice'",
			"usermod -aG docker alice",
			"systemctl enable dockbake-apply.path",
			"systemctl enable docker.service",
		}},
		{"flatcar", []string{"systemctl enable docker-tls-tcp.socket", "systemctl enable dockbake-apply.path"}},
	} {
		t.Run(tc.os, func(t *testing.T) {
			spec := formatCase{os: tc.os}.spec()
			if tc.os != "flatcar" {
				spec.DockerUser = "alice"
			}
			p, err := generator.BuildPlan(spec, generator.FixtureCerts(t))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range p.RunSteps() {
				if s, ok := s.WithoutSystemd(); ok {
					got = append(got, s.Shell())
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("without systemd:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestCloudConfigStepOrder: cloud-init installs packages before it runs
// runcmd, so a plan that installs after a command is refused, not
// reordered.
func TestCloudConfigStepOrder(t *testing.T) {
	o, _ := generator.LookupOS("debian-12")
	p := &generator.Plan{Machine: "web1", OS: o, Steps: []generator.Step{
		{Argv: generator.Command{"usermod", "-aG", "docker", "alice"}},
		{Kind: generator.StepInstall, Argv: generator.Command{"apt-get", "install", "-y", "htop"}, Packages: []string{"htop"}},
	}}
	_, err := generator.RenderCloudConfig(p)
	if err == nil || !strings.Contains(err.Error(), `the install step "apt-get install -y htop" comes after a command`) {
		t.Errorf("err = %v, want the install after a command refused", err)
	}
}
