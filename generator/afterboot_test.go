package generator

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/internal/testenv"
)

// TestApplyPlanPerOS holds what the apply mechanism puts into every plan:
// its script and units with their modes, and how each first-boot agent
// enables it.
func TestApplyPlanPerOS(t *testing.T) {
	for _, id := range OSNames() {
		o, _ := LookupOS(id)
		for _, in := range o.Installs {
			t.Run(id+"/"+string(in), func(t *testing.T) {
				spec := Spec{Name: "web1", IPs: []string{"203.0.113.10"}, OS: id, Install: in}.WithDefaults()
				p, err := BuildPlan(spec, FixtureCerts(t))
				if err != nil {
					t.Fatal(err)
				}
				checkApplyFiles(t, p)
				checkApplyEnabled(t, p, o)
			})
		}
	}
}

func checkApplyFiles(t *testing.T, p *Plan) {
	t.Helper()
	want := map[string]os.FileMode{HostApplyScript: 0o700, HostApplyPath: 0o644, HostApplyService: 0o644}
	for _, f := range p.Files {
		mode, ok := want[f.Path]
		if !ok {
			continue
		}
		delete(want, f.Path)
		if f.Mode != mode || f.Owner != "root:root" || f.Secret {
			t.Errorf("%s: mode %04o owner %s secret %v, want %04o root:root, not secret", f.Path, f.Mode, f.Owner, f.Secret, mode)
		}
		if !strings.HasPrefix(f.Path, "/etc/") {
			t.Errorf("%s is outside /etc: Flatcar's and Fedora CoreOS's /usr is read-only, and the plan writes only /etc", f.Path)
		}
	}
	for path := range want {
		t.Errorf("the plan lacks %s", path)
	}
}

// checkApplyEnabled: commands enable the path unit right after the
// daemon-reload that makes systemd read it, before dockerd restarts, so a
// client that reaches dockerd finds the mechanism running. Ignition enables
// it as a unit instead.
func checkApplyEnabled(t *testing.T, p *Plan, o OS) {
	t.Helper()
	if o.Boot == BootIgnition {
		if !slices.Contains(p.EnableUnits, ApplyPathUnit) || len(p.Steps) > 0 {
			t.Errorf("Ignition plan: units %q, steps %v; want %s among the units and no steps", p.EnableUnits, p.Steps, ApplyPathUnit)
		}
		return
	}
	argv := func(st Step) string { return strings.Join(st.Argv, " ") }
	reload := slices.IndexFunc(p.Steps, func(st Step) bool { return argv(st) == "systemctl daemon-reload" })
	enable := slices.IndexFunc(p.Steps, func(st Step) bool { return argv(st) == "systemctl enable --now "+ApplyPathUnit })
	start := slices.IndexFunc(p.Steps, func(st Step) bool {
		return strings.Contains(argv(st), "restart docker.service") || argv(st) == "systemctl enable --now docker.service"
	})
	if reload < 0 || enable != reload+1 || start < enable {
		t.Errorf("steps %v: want systemctl enable --now %s right after daemon-reload, before dockerd restarts", p.Steps, ApplyPathUnit)
	}
	if off, ok := p.Steps[enable].WithoutSystemd(); !ok || strings.Join(off.Argv, " ") != "systemctl enable "+ApplyPathUnit {
		t.Errorf("without systemd the step is %q, want the unit enabled for the next boot", off.Argv)
	}
}

// TestLiveRestore: dockerd keeps containers through the apply script's
// restart, unless the user chose live-restore themselves (off on a swarm
// node, which refuses it).
func TestLiveRestore(t *testing.T) {
	for _, tc := range []struct {
		name, os string
		opts     []string
		want     string // the live-restore words of dockerd's command line
	}{
		{"default", "debian-12", nil, "--live-restore"},
		{"swarm node", "ubuntu-24.04", []string{"live-restore=false"}, "--live-restore=false"},
		{"given with dashes", "rocky-9", []string{"--live-restore"}, "--live-restore"},
		{"Fedora CoreOS", "fedora-coreos", nil, "--live-restore"},
		{"Flatcar's DOCKER_OPTS", "flatcar", nil, "--live-restore"},
		{"Flatcar swarm node", "flatcar", []string{"live-restore=false"}, "--live-restore=false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := Spec{Name: "web1", IPs: []string{"203.0.113.10"}, OS: tc.os, Engine: Engine{Opts: tc.opts}}.WithDefaults()
			p, err := BuildPlan(spec, FixtureCerts(t))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range p.Files {
				if f.Path != HostDropIn {
					continue
				}
				for _, w := range strings.FieldsFunc(string(f.Content), func(r rune) bool { return r == ' ' || r == '\n' || r == '"' }) {
					if strings.Contains(w, "live-restore") {
						got = append(got, w)
					}
				}
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("live-restore in the drop-in: %q, want exactly %q", got, tc.want)
			}
		})
	}
}

// TestApplyScriptShellcheck checks the apply script of every OS with
// shellcheck as POSIX sh, every optional check on.
func TestApplyScriptShellcheck(t *testing.T) {
	sc := testenv.LookPath(t, "shellcheck", "apt-get install shellcheck")
	dir := t.TempDir()
	var files []string
	seen := map[string]bool{}
	for _, id := range OSNames() {
		o, _ := LookupOS(id)
		f := writeApplyFile(t, dir, id, Spec{Name: "web1", IPs: []string{"203.0.113.10"}, OS: id}.WithDefaults(), o, HostApplyScript)
		if content, _ := os.ReadFile(f); !seen[string(content)] {
			seen[string(content)] = true
			files = append(files, f) // shellcheck is slow: each distinct script once
		}
	}
	for _, f := range files {
		if out, err := exec.Command("sh", "-n", f).CombinedOutput(); err != nil {
			t.Errorf("sh -n %s: %v\n%s", f, err, out)
		}
	}
	args := append([]string{"--shell=sh", "--severity=style", "--enable=all"}, files...)
	if out, err := exec.Command(sc, args...).CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}

// TestApplyUnitsVerify runs systemd's own checker on the path and service
// units.
func TestApplyUnitsVerify(t *testing.T) {
	analyze := testenv.LookPath(t, "systemd-analyze", "apt-get install systemd")
	dir := t.TempDir()
	spec := Spec{Name: "web1", IPs: []string{"203.0.113.10"}, OS: "debian-12"}.WithDefaults()
	o, _ := LookupOS(spec.OS)
	units := []string{
		writeApplyFile(t, dir, "", spec, o, HostApplyPath),
		writeApplyFile(t, dir, "", spec, o, HostApplyService),
	}
	out, err := exec.Command(analyze, append([]string{"verify"}, units...)...).CombinedOutput()
	// verify also reports what it dislikes in the units they name: only
	// lines about ours count.
	var ours []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "dockbake-apply") {
			ours = append(ours, line)
		}
	}
	if err != nil || len(ours) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// writeApplyFile writes the plan file at path into dir, under its base name
// prefixed with prefix.
func writeApplyFile(t *testing.T, dir, prefix string, spec Spec, o OS, path string) string {
	t.Helper()
	files, err := applyFiles(spec, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Path == path {
			dst := filepath.Join(dir, prefix+filepath.Base(path))
			if prefix != "" {
				dst = filepath.Join(dir, prefix+"-"+filepath.Base(path))
			}
			if err := os.WriteFile(dst, f.Content, 0o600); err != nil {
				t.Fatal(err)
			}
			return dst
		}
	}
	t.Fatalf("no %s among the apply files", path)
	return ""
}
