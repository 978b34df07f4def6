package dockbake

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/dockbake/dockbake/generator"
)

// hostFile is a file as it ends up on the host: what both renderers must
// agree on.
type hostFile struct {
	Owner, Permissions, Content string
}

// TestParity: for the same spec, the files the provisioner uploads and
// installs, with their owners and modes, are the cloud-config's
// write_files (and its yum_repos, as the .repo files cloud-init writes).
func TestParity(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  map[string]any
	}{
		{"debian distro", map[string]any{"os": "debian-12"}},
		{"ubuntu docker-ce", map[string]any{"os": "ubuntu-24.04", "install": "docker-ce", "dns_names": []string{"docker.example.com"}}},
		{"engine options", map[string]any{"os": "debian-13", "install": "none", "port": 12376, "docker_user": "deploy",
			"engine_opts": []string{"log-level=warn"}, "engine_labels": []string{"env=prod"}, "engine_env": []string{"HTTP_PROXY=http://proxy:3128"},
			"engine_registry_mirrors": []string{"https://mirror.example.com"}, "engine_insecure_registries": []string{"10.0.0.5:5000"},
			"engine_storage_driver": "overlay2"}},
		{"rocky docker-ce", map[string]any{"os": "rocky-9", "ca": "fleet"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := generator.LookupOS(tc.set["os"].(string)); !ok {
				t.Skipf("%s is not an OS of this generator", tc.set["os"])
			}
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
			ud, err := generator.RenderCloudConfig(plan)
			if err != nil {
				t.Fatal(err)
			}
			want := cloudConfigFiles(t, ud)
			got := installedFiles(t, v.comm)
			for _, p := range slices.Sorted(maps.Keys(want)) {
				g, ok := got[p]
				switch {
				case !ok:
					t.Errorf("%s: in the cloud-config, not installed by the provisioner", p)
				case g != want[p]:
					t.Errorf("%s: provisioner installs %s %s (%d bytes), cloud-config writes %s %s (%d bytes)",
						p, g.Owner, g.Permissions, len(g.Content), want[p].Owner, want[p].Permissions, len(want[p].Content))
				}
			}
			for _, p := range slices.Sorted(maps.Keys(got)) {
				if _, ok := want[p]; !ok {
					t.Errorf("%s: installed by the provisioner, not in the cloud-config", p)
				}
			}
		})
	}
}

// cloudConfigFiles reads write_files and yum_repos from user-data.
func cloudConfigFiles(t *testing.T, ud []byte) map[string]hostFile {
	var cc struct {
		WriteFiles []struct {
			Path, Owner, Permissions, Content string
		} `yaml:"write_files"`
		YumRepos map[string]struct {
			Name     string `yaml:"name"`
			BaseURL  string `yaml:"baseurl"`
			Enabled  bool   `yaml:"enabled"`
			GPGCheck bool   `yaml:"gpgcheck"`
			GPGKey   string `yaml:"gpgkey"`
		} `yaml:"yum_repos"`
	}
	if err := yaml.Unmarshal(ud, &cc); err != nil {
		t.Fatal(err)
	}
	files := map[string]hostFile{}
	for _, f := range cc.WriteFiles {
		files[f.Path] = hostFile{f.Owner, f.Permissions, f.Content}
	}
	for id, r := range cc.YumRepos {
		// cloud-init's yum_add_repo writes the section as INI, with
		// booleans as 1 and 0.
		content := fmt.Sprintf("[%s]\nname=%s\nbaseurl=%s\nenabled=%d\ngpgcheck=%d\ngpgkey=%s\n", id, r.Name, r.BaseURL, b2i(r.Enabled), b2i(r.GPGCheck), r.GPGKey)
		files["/etc/yum.repos.d/"+id+".repo"] = hostFile{"root:root", "0644", content}
	}
	return files
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
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
// bare or single-quoted with '\” for a quote.
func shellSplit(t *testing.T, line string) []string {
	var words []string
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
	if quoted {
		t.Fatalf("unterminated quote in %q", line)
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}
