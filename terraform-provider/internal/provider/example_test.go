package provider

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// examples/terraform/local applies as it is, with the store the
// provider's default (DOCKBAKE_STORAGE_PATH) points at.
func TestAccLocalExample(t *testing.T) {
	root := acc(t)
	t.Setenv("DOCKBAKE_STORAGE_PATH", root)
	src, err := os.ReadFile(filepath.Join("..", "..", "..", "examples", "terraform", "local", "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{{
			Config: string(src),
			Check: resource.ComposeTestCheckFunc(
				resource.TestCheckOutput("docker_host", "tcp://203.0.113.10:2376"),
				resource.TestMatchResourceAttr("data.dockbake_user_data.script", "user_data", regexp.MustCompile(`^#!/bin/sh`)),
				func(*terraform.State) error { load(t, root, "web1"); return nil },
			),
		}},
	})
}
