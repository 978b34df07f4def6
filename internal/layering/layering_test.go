// Package layering holds the rule of the project's layout that the compiler
// does not: dependencies flow downwards only. The core (pki, templates,
// generator, store) imports no front end's framework, and each core package
// imports only what the layout table in STYLE.md allows it.
package layering

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/dockbake/dockbake"

// frontEnds are the frameworks of the front ends: the CLI's, Packer's and
// Terraform's. No core package may link any of them.
var frontEnds = []string{
	"github.com/urfave/cli",
	"github.com/hashicorp/packer-plugin-sdk",
	"github.com/hashicorp/terraform-plugin-framework",
	"github.com/hashicorp/terraform-plugin-go",
	"github.com/moby/moby",
}

// allowed lists, per core package, the packages of this module and the
// modules outside the standard library that it may import directly.
var allowed = map[string][]string{
	"pki":       nil,
	"templates": nil,
	"generator": {module + "/pki", module + "/templates", "gopkg.in/yaml.v3", "github.com/coreos/butane", "github.com/vincent-petithory/dataurl"},
	"store":     {module + "/pki", module + "/generator", "golang.org/x/sys"},
}

// systems are the GOOS values whose files are checked: the store has files
// of its own for Windows and for systems without flock.
var systems = []string{"linux", "windows", "darwin", "plan9"}

// goList runs `go list` with format over pkgs for GOOS goos and returns its
// lines.
func goList(t *testing.T, goos, format string, pkgs ...string) []string {
	t.Helper()
	args := append([]string{"list", "-f", format}, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "GOOS="+goos)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v", strings.Join(args, " "), err)
	}
	return strings.Fields(string(out))
}

func TestCoreLinksNoFrontEnd(t *testing.T) {
	for _, goos := range systems {
		for pkg := range allowed {
			for _, dep := range goList(t, goos, `{{join .Deps "\n"}}`, module+"/"+pkg) {
				for _, fe := range frontEnds {
					if strings.HasPrefix(dep, fe) {
						t.Errorf("%s (GOOS=%s) depends on %s: the core must not know any front end", pkg, goos, dep)
					}
				}
			}
		}
	}
}

func TestCoreImportsDownwardsOnly(t *testing.T) {
	for _, goos := range systems {
		for pkg, may := range allowed {
			for _, imp := range goList(t, goos, `{{join .Imports "\n"}}`, module+"/"+pkg) {
				if !isStdlib(imp) && !permitted(imp, may) {
					t.Errorf("%s (GOOS=%s) imports %s, which STYLE.md's layout table does not allow it", pkg, goos, imp)
				}
			}
		}
	}
}

func isStdlib(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

func permitted(path string, prefixes []string) bool {
	for _, p := range prefixes {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}
