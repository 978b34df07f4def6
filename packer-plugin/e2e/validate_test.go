package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateExamples runs `packer validate` on every example template,
// which also runs the provisioner's Prepare. Data sources are not
// evaluated: validating creates no machine.
func TestValidateExamples(t *testing.T) {
	p := newPacker(t)
	key := sshKey(t, t.TempDir())
	// Variables a template has no default for.
	vars := map[string][]string{
		"null-ssh.pkr.hcl": {"-var", "ssh_private_key_file=" + key},
	}
	templates, err := filepath.Glob(filepath.Join(examples(t), "*.pkr.hcl"))
	if err != nil || len(templates) == 0 {
		t.Fatalf("no example templates in %s (%v)", examples(t), err)
	}
	amazon := false
	for _, tpl := range templates {
		t.Run(filepath.Base(tpl), func(t *testing.T) {
			b, err := os.ReadFile(tpl)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), `"github.com/hashicorp/amazon"`) && !amazon {
				p.installAmazon(t)
				amazon = true
			}
			args := append(append([]string{"validate"}, vars[filepath.Base(tpl)]...), tpl)
			out := p.run(t, "packer validate", args...)
			if !strings.Contains(out, "The configuration is valid.") {
				t.Errorf("packer validate %s:\n%s", tpl, out)
			}
		})
	}
}

// TestValidateReportsAttributes checks that packer shows every problem of
// a dockbake block at once, each naming its attribute.
func TestValidateReportsAttributes(t *testing.T) {
	p := newPacker(t)
	tpl := filepath.Join(t.TempDir(), "bad.pkr.hcl")
	err := os.WriteFile(tpl, []byte(`source "null" "x" {
  communicator = "none"
}
build {
  sources = ["source.null.x"]
  provisioner "dockbake" {
    machine_name = "web"
    ip_addresses = ["10.0.0.300"]
    install      = "snap"
    key_type     = "dsa"
  }
}
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.command(t.Context(), "validate", tpl).CombinedOutput()
	if err == nil {
		t.Fatalf("packer validate accepted a bad block:\n%s", out)
	}
	for _, want := range []string{"3 error(s) occurred", `ip_addresses "10.0.0.300": not an IP address`, `install "snap"`, `key_type "dsa"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("packer validate output lacks %q:\n%s", want, out)
		}
	}
}
