package dockbake

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/generator"
)

// hostFile is a file as it ends up on the host: what every renderer must
// agree on.
type hostFile struct {
	Owner, Permissions, Content string
}

// hostView is what one renderer puts on the host, in its native form
// brought to a common one: files, the package index refreshed or not,
// packages, commands in order (argv), and units enabled.
type hostView struct {
	files    map[string]hostFile
	update   bool
	packages []string
	commands [][]string
	units    []string
}

// parityCases are every OS with every install method it takes, and a few
// settings that change the files and commands.
func parityCases() []struct {
	name string
	set  map[string]any
} {
	var cases []struct {
		name string
		set  map[string]any
	}
	for _, id := range generator.OSNames() {
		o, _ := generator.LookupOS(id)
		for _, in := range o.Installs {
			cases = append(cases, struct {
				name string
				set  map[string]any
			}{id + "/" + string(in), map[string]any{"os": id, "install": string(in)}})
		}
	}
	return append(cases, []struct {
		name string
		set  map[string]any
	}{
		{"ubuntu docker-ce dns", map[string]any{"os": "ubuntu-24.04", "install": "docker-ce", "dns_names": []string{"docker.example.com"}}},
		{"engine options", map[string]any{"os": "debian-13", "install": "none", "port": 12376, "docker_user": "deploy",
			"engine_opts": []string{"log-level=warn"}, "engine_labels": []string{"env=prod"}, "engine_env": []string{"HTTP_PROXY=http://proxy:3128"},
			"engine_registry_mirrors": []string{"https://mirror.example.com"}, "engine_insecure_registries": []string{"10.0.0.5:5000"},
			"engine_storage_driver": "overlay2"}},
		{"rocky shared ca user", map[string]any{"os": "rocky-9", "ca": "fleet", "docker_user": "deploy"}},
		{"fedora user", map[string]any{"os": "fedora-45", "docker_user": "ops-1"}},
	}...)
}

// TestParity: for the same machine, every renderer puts the same files
// (path, owner, mode, content) on the host, installs the same packages and
// runs the same commands in the same order, each in its own medium: the
// provisioner's scripts, the setup script, cloud-config and the
// cloud-config part of MIME user-data where cloud-init boots the OS,
// Butane and Ignition where Ignition does. The provisioner and the script
// run the very same lines.
func TestParity(t *testing.T) {
	for _, tc := range parityCases() {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			maps.Copy(cfg, tc.set)
			v := newVM(true)
			if _, err := provision(t, cfg, v); err != nil {
				t.Fatal(err)
			}
			plan, err := stored(t, cfg).Plan()
			if err != nil {
				t.Fatal(err)
			}
			views := map[string]hostView{}
			lines := provisionerLines(t, v.comm)
			views["provisioner"] = linesView(t, installedFiles(t, v.comm), lines)
			if plan.OS.Boot == generator.BootIgnition {
				views["butane"] = butaneView(t, render(t, plan, generator.FormatButane))
				views["ignition"] = ignitionView(t, render(t, plan, generator.FormatIgnition))
				p := views["provisioner"]
				p.commands, p.units = enabledUnits(t, p.commands)
				views["provisioner"] = p
			} else {
				files, scriptLines := scriptView(t, render(t, plan, generator.FormatScript))
				if !slices.Equal(scriptLines, lines) {
					t.Errorf("the script runs\n%s\nthe provisioner\n%s", strings.Join(scriptLines, "\n"), strings.Join(lines, "\n"))
				}
				views["script"] = linesView(t, files, scriptLines)
				views["cloud-config"] = cloudConfigView(t, render(t, plan, generator.FormatCloudConfig))
				views["mime"] = cloudConfigView(t, mimeCloudConfig(t, render(t, plan, generator.FormatMIME)))
			}
			compareViews(t, views)
		})
	}
}

func render(t *testing.T, plan *generator.Plan, f generator.Format) []byte {
	t.Helper()
	out, err := generator.Render(plan, generator.Output{Format: f})
	if err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	return out
}

// compareViews compares every view with the provisioner's.
func compareViews(t *testing.T, views map[string]hostView) {
	t.Helper()
	want := views["provisioner"]
	for _, name := range slices.Sorted(maps.Keys(views)) {
		got := views[name]
		for _, p := range slices.Sorted(maps.Keys(want.files)) {
			g, ok := got.files[p]
			switch {
			case !ok:
				t.Errorf("%s: installed by the provisioner, not by %s", p, name)
			case g != want.files[p]:
				t.Errorf("%s: %s writes %s %s (%d bytes), the provisioner %s %s (%d bytes)",
					p, name, g.Owner, g.Permissions, len(g.Content), want.files[p].Owner, want.files[p].Permissions, len(want.files[p].Content))
			}
		}
		for _, p := range slices.Sorted(maps.Keys(got.files)) {
			if _, ok := want.files[p]; !ok {
				t.Errorf("%s: written by %s, not by the provisioner", p, name)
			}
		}
		if got.update != want.update || !slices.Equal(got.packages, want.packages) {
			t.Errorf("%s: refresh %v, packages %q; the provisioner: refresh %v, packages %q", name, got.update, got.packages, want.update, want.packages)
		}
		if g, w := fmt.Sprintf("%q", got.commands), fmt.Sprintf("%q", want.commands); g != w {
			t.Errorf("%s runs\n%s\nthe provisioner\n%s", name, g, w)
		}
		if !slices.Equal(got.units, want.units) {
			t.Errorf("%s enables %q, the provisioner %q", name, got.units, want.units)
		}
	}
}

// provisionerLines are the lines of the provisioner's scripts after the
// files step, without their set -eu and echo lines, and without the final
// check of a live build.
func provisionerLines(t *testing.T, c *recordingComm) []string {
	t.Helper()
	n := countSteps(c)
	if last := script(t, c, n); !strings.Contains(last, "dockerd answers on") {
		t.Fatalf("the last step is not the check:\n%s", last)
	}
	var lines []string
	for i := 2; i < n; i++ {
		for _, l := range strings.Split(strings.TrimSpace(script(t, c, i)), "\n")[1:] {
			if !strings.HasPrefix(l, "echo ") {
				lines = append(lines, l)
			}
		}
	}
	return lines
}

// linesView reads shell lines in their native form: the wait for
// cloud-init (which cloud-init's own renderers leave out), the package
// manager's refresh and install (package_update and packages), then the
// commands (runcmd). apt must run without prompts, as cloud-init runs it.
func linesView(t *testing.T, files map[string]hostFile, lines []string) hostView {
	t.Helper()
	v := hostView{files: files}
	waited := false
	for _, l := range lines {
		env, argv := splitEnv(shellSplit(t, l))
		pm := argv[0] == "apt-get" || argv[0] == "dnf"
		if argv[0] == "sh" && strings.Contains(argv[len(argv)-1], "cloud-init status --wait") {
			waited = true
			continue
		}
		if pm && len(v.commands) > 0 {
			t.Errorf("%q runs after a command: cloud-init installs packages first", l)
		}
		if pm && !waited {
			t.Errorf("%q runs before waiting for cloud-init", l)
		}
		if argv[0] == "apt-get" && !slices.Contains(env, "DEBIAN_FRONTEND=noninteractive") {
			t.Errorf("%q may prompt: no DEBIAN_FRONTEND=noninteractive", l)
		}
		switch {
		case pm && (slices.Contains(argv, "update") || slices.Contains(argv, "makecache")):
			v.update = true
		case pm && slices.Contains(argv, "install"):
			for _, a := range argv[slices.Index(argv, "install")+1:] {
				if !strings.HasPrefix(a, "-") {
					v.packages = append(v.packages, a)
				}
			}
		case pm:
			t.Errorf("unexpected package manager call %q", l)
		default:
			v.commands = append(v.commands, argv)
		}
	}
	return v
}

// splitEnv separates leading NAME=value assignments from the command.
func splitEnv(words []string) (env, argv []string) {
	for len(words) > 1 {
		name, _, ok := strings.Cut(words[0], "=")
		if !ok || name == "" || strings.ContainsAny(name, "-/.") {
			break
		}
		env, words = append(env, words[0]), words[1:]
	}
	return env, words
}

// enabledUnits separates the systemctl calls of an Ignition OS's plan on a
// running host into the units enabled, which Ignition enables natively,
// and what else runs: only the reload and restarts a running systemd
// needs, which Ignition, writing before systemd starts, does not.
func enabledUnits(t *testing.T, cmds [][]string) (rest [][]string, units []string) {
	t.Helper()
	for _, c := range cmds {
		switch {
		case len(c) == 3 && c[0] == "systemctl" && c[1] == "enable":
			units = append(units, c[2])
		case len(c) == 2 && c[0] == "systemctl" && c[1] == "daemon-reload",
			len(c) == 3 && c[0] == "systemctl" && c[1] == "restart":
		default:
			t.Errorf("command %q on an Ignition OS has no Ignition form", c)
		}
	}
	return nil, units
}

// installedFiles replays the files step's install lines against the
// uploads: each staged file, with the owner and mode it is installed with,
// at its destination. It also checks each staged upload already has the
// final mode, so a key is 0600 from its first byte on the VM.
func installedFiles(t *testing.T, c *recordingComm) map[string]hostFile {
	files := map[string]hostFile{}
	for _, line := range strings.Split(strings.TrimSpace(script(t, c, 1)), "\n")[1:] {
		argv := shellSplit(t, line)
		// install -D -o USER -g GROUP -m MODE SRC DST
		if len(argv) != 10 || argv[0] != "install" || argv[1] != "-D" || argv[2] != "-o" || argv[4] != "-g" || argv[6] != "-m" {
			t.Fatalf("unexpected install line %q", line)
		}
		src, dst := argv[8], argv[9]
		u, ok := c.file(src)
		if !ok {
			t.Fatalf("%s: installed from %s, which was never uploaded", dst, src)
		}
		if fmt.Sprintf("%04o", u.mode) != argv[7] {
			t.Errorf("%s: staged with mode %04o, installed with %s", dst, u.mode, argv[7])
		}
		files[dst] = hostFile{argv[3] + ":" + argv[5], argv[7], string(u.content)}
	}
	return files
}

// shellSplit undoes generator.ShellJoin: words separated by spaces, each
// bare or single-quoted, a quote inside written as quote, backslash, quote,
// quote.
func shellSplit(t *testing.T, line string) []string {
	t.Helper()
	words, ok := splitWords(line)
	if !ok {
		t.Fatalf("unterminated quote in %q", line)
	}
	return words
}

// splitWords is shellSplit that reports an unterminated quote (ok false)
// instead of failing, for words that span lines.
func splitWords(line string) (words []string, ok bool) {
	var w strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case quoted && ch == '\'':
			quoted = false
		case quoted:
			w.WriteByte(ch)
		case ch == '\'':
			quoted, inWord = true, true
		case ch == '\\' && i+1 < len(line):
			i++
			w.WriteByte(line[i])
			inWord = true
		case ch == ' ':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		default:
			w.WriteByte(ch)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, !quoted
}
