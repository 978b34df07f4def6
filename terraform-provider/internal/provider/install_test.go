package provider

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/internal/testenv"
)

// `make terraform-install` puts the provider where an ordinary
// required_providers finds it with no network; init, apply and plan then
// work, and the plan's text shows no key: the sensitive values are
// "(sensitive value)".
func TestInstalledProvider(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the provider binary")
	}
	acc(t)
	bin := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if bin == "" {
		bin, _ = exec.LookPath("terraform")
	}
	testenv.LookPath(t, "make", "apt-get install make")
	dir := t.TempDir()
	home, work := filepath.Join(dir, "home"), filepath.Join(dir, "work")
	os.MkdirAll(work, 0o700)
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "HOME="+home, "TF_CLI_CONFIG_FILE="+filepath.Join(dir, "empty.rc"), "TF_IN_AUTOMATION=1", "NO_COLOR=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return string(out)
	}
	os.WriteFile(filepath.Join(dir, "empty.rc"), nil, 0o600)
	repo, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	run("make", "-C", repo, "terraform-install",
		"TF_PLUGIN_DIR="+filepath.Join(home, ".terraform.d", "plugins"), "TF_PROVIDER_BIN="+filepath.Join(dir, "terraform-provider-dockbake_v0.1.0"))
	write := func(ip string) {
		cfg := providerBlock(filepath.Join(dir, "store")) + `
resource "dockbake_machine" "web" {
  name         = "web1"
  ip_addresses = ["` + ip + `"]
  key_type     = "ecdsa-p256"
}
`
		if err := os.WriteFile(filepath.Join(work, "main.tf"), []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("203.0.113.7")
	run(bin, "init", "-input=false")
	run(bin, "apply", "-auto-approve", "-input=false")
	write("203.0.113.8")
	plan := run(bin, "plan", "-input=false", "-no-color")
	if strings.Contains(plan, "PRIVATE KEY") || strings.Contains(plan, "BEGIN") {
		t.Errorf("the plan shows key material:\n%s", plan)
	}
	if !strings.Contains(plan, "(sensitive value)") || !strings.Contains(plan, `"203.0.113.8"`) {
		t.Errorf("the plan does not show the change with its secrets hidden:\n%s", plan)
	}
	show := run(bin, "show", "-no-color")
	if strings.Contains(show, "PRIVATE KEY") {
		t.Errorf("terraform show prints key material")
	}
}
