package provider

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/dockbake/dockbake/internal/testenv"
)

// factories run the provider under test inside the test process.
var factories = map[string]func() (tfprotov6.ProviderServer, error){
	"dockbake": providerserver.NewProtocol6WithError(New("test")()),
}

// acc prepares an acceptance test: the real terraform (or, with
// TF_ACC_TERRAFORM_PATH, another CLI such as tofu), a CLI configuration of
// its own and a store of its own, whose path it returns. Without the CLI
// the test skips, or fails in CI.
func acc(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("TF_ACC_TERRAFORM_PATH"); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			testenv.Missing(t, "the Terraform CLI at TF_ACC_TERRAFORM_PATH "+bin, "build it, or unset TF_ACC_TERRAFORM_PATH to use the terraform on PATH")
		}
	} else {
		testenv.LookPath(t, "terraform", "install terraform, or set TF_ACC_TERRAFORM_PATH to a terraform or tofu binary")
	}
	dir := t.TempDir()
	rc := filepath.Join(dir, "terraformrc")
	if err := os.WriteFile(rc, []byte("disable_checkpoint = true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TF_ACC", "1")
	t.Setenv("TF_CLI_CONFIG_FILE", rc)
	t.Setenv("CHECKPOINT_DISABLE", "1")
	// Configurations that name the source address, as the examples do.
	t.Setenv("TF_ACC_PROVIDER_NAMESPACE", "dockbake")
	return filepath.Join(dir, "store")
}

// providerBlock is the provider configuration with a test's store.
func providerBlock(root string) string {
	return `terraform {
  required_providers {
    dockbake = { source = "dockbake/dockbake" }
  }
}

provider "dockbake" {
  storage_path = "` + root + `"
}
`
}
