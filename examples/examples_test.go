// Package examples holds runnable inputs for dockbake: Terraform
// configurations and the render scripts that write the user-data they read.
// The tests here run every example's dockbake steps and the one-liners of
// docs/clouds.md, and check what can be checked without a cloud.
package examples

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/internal/testenv"
)

// buildDockbake builds the CLI once into a directory for PATH.
func buildDockbake(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	out, err := exec.Command("go", "build", "-o", filepath.Join(bin, "dockbake"), "github.com/dockbake/dockbake/cmd/dockbake").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// run runs a shell command line in dir with dockbake on the PATH and a
// store of its own.
func run(t *testing.T, bin, dir, line string) {
	t.Helper()
	cmd := exec.Command("sh", "-c", line)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"DOCKBAKE_STORAGE_PATH="+filepath.Join(dir, ".store"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", line, err, out)
	}
}

// fileRef finds the files Terraform reads: file("${path.module}/NAME").
var fileRef = regexp.MustCompile(`file(?:base64)?\("\$\{path\.module\}/([^"]+)"\)`)

// TestTerraformExamples runs each example's render.sh, then checks that
// every file its Terraform reads exists, that dockbake's user-data passes
// cloud-init's schema, and that the HCL is well-formed (terraform fmt,
// where terraform is installed; it cannot be installed from the package
// registries CI uses, so its absence only skips that step).
func TestTerraformExamples(t *testing.T) {
	bin := buildDockbake(t)
	dirs, _ := filepath.Glob(filepath.Join("terraform", "*"))
	if len(dirs) < 2 {
		t.Fatalf("expected the Terraform examples, found %v", dirs)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			work := t.TempDir()
			if err := os.CopyFS(work, os.DirFS(dir)); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(work, "render.sh")); err != nil {
				checkProviderExample(t, work) // Terraform makes the machine itself
				terraformFmt(t, work)
				return
			}
			run(t, bin, work, "sh ./render.sh")
			tfs, _ := filepath.Glob(filepath.Join(work, "*.tf"))
			var refs int
			for _, tf := range tfs {
				src, err := os.ReadFile(tf)
				if err != nil {
					t.Fatal(err)
				}
				checkBalanced(t, tf, src)
				for _, m := range fileRef.FindAllSubmatch(src, -1) {
					refs++
					checkUserData(t, filepath.Join(work, string(m[1])))
				}
				if bytes.Contains(src, []byte("merge_type")) && !bytes.Contains(src, []byte(`"`+generator.MergeType+`"`)) {
					t.Errorf("%s: merge_type differs from dockbake's %s", tf, generator.MergeType)
				}
			}
			if refs == 0 {
				t.Errorf("%s reads no user-data file", dir)
			}
			terraformFmt(t, work)
		})
	}
}

// checkProviderExample checks an example that makes its machine with the
// dockbake provider, which needs no render step: well-formed HCL that
// requires the provider and hands an instance its user-data.
func checkProviderExample(t *testing.T, dir string) {
	t.Helper()
	tfs, _ := filepath.Glob(filepath.Join(dir, "*.tf"))
	var all []byte
	for _, tf := range tfs {
		src, err := os.ReadFile(tf)
		if err != nil {
			t.Fatal(err)
		}
		checkBalanced(t, tf, src)
		all = append(all, src...)
	}
	for _, want := range []string{`source  = "dockbake/dockbake"`, `resource "dockbake_machine"`, "dockbake_machine.web1.user_data"} {
		if !bytes.Contains(all, []byte(want)) {
			t.Errorf("%s has no %s and no render.sh", dir, want)
		}
	}
}

// checkUserData checks a file Terraform reads: present, and valid
// cloud-config where it is cloud-config.
func checkUserData(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("the Terraform reads %s, which the example does not produce: %v", filepath.Base(path), err)
		return
	}
	if !bytes.HasPrefix(b, []byte("#cloud-config\n")) {
		return
	}
	ci := testenv.LookPath(t, "cloud-init", "apt-get install cloud-init")
	out, err := exec.Command(ci, "schema", "--config-file", path).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("Valid cloud-config")) {
		t.Errorf("cloud-init schema %s: %v\n%s", filepath.Base(path), err, out)
	}
}

// checkBalanced is the HCL check that needs no parser: braces, brackets
// and quotes balance.
func checkBalanced(t *testing.T, name string, src []byte) {
	t.Helper()
	depth, inString := 0, false
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '{' || c == '[' || c == '(':
			depth++
		case c == '}' || c == ']' || c == ')':
			depth--
		}
		if depth < 0 {
			t.Fatalf("%s: unbalanced closing %q at byte %d", name, c, i)
		}
	}
	if depth != 0 || inString {
		t.Errorf("%s: unbalanced (depth %d, open string %v)", name, depth, inString)
	}
}

func terraformFmt(t *testing.T, dir string) {
	t.Helper()
	tf, err := exec.LookPath("terraform")
	if err != nil {
		t.Log("terraform is not installed: HCL checked for balance only")
		return
	}
	if out, err := exec.Command(tf, "fmt", "-check", "-diff", dir).CombinedOutput(); err != nil {
		t.Errorf("terraform fmt -check: %v\n%s", err, out)
	}
}

// localCommands are the first words of one-liner lines that run here;
// every other line is a provider's command, checked to read a file the
// block wrote.
var localCommands = map[string]bool{"dockbake": true, "printf": true}

// providerFile finds the file a provider's command reads.
var providerFile = regexp.MustCompile(`(?:fileb?://|user-data=|--custom-data |--user-data-file |--user-data-from-file |--user-data |< )(\S+)`)

// TestCloudsOneLiners runs the one-liners of docs/clouds.md, each block in
// a directory and store of its own.
func TestCloudsOneLiners(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "clouds.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, oneLiners, ok := strings.Cut(string(doc), "## One-liners")
	if !ok {
		t.Fatal("docs/clouds.md has no One-liners section")
	}
	blocks := regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(oneLiners, -1)
	if len(blocks) < 8 {
		t.Fatalf("found %d one-liner blocks", len(blocks))
	}
	bin := buildDockbake(t)
	for i, b := range blocks {
		lines := strings.Split(strings.TrimSpace(b[1]), "\n")
		t.Run(strings.Fields(lines[len(lines)-1])[0]+"-"+string(rune('a'+i)), func(t *testing.T) {
			dir := t.TempDir()
			provider := 0
			for _, line := range lines {
				if localCommands[strings.Fields(line)[0]] {
					run(t, bin, dir, line)
					continue
				}
				provider++
				m := providerFile.FindStringSubmatch(line)
				if m == nil {
					t.Errorf("%q reads no file", line)
					continue
				}
				name := strings.TrimPrefix(strings.TrimPrefix(m[1], "fileb://"), "file://")
				if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
					t.Errorf("%q reads %s, which the dockbake line did not write", line, m[1])
				}
			}
			if provider == 0 {
				t.Error("a block without a provider command")
			}
		})
	}
}
