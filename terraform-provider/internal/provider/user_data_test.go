package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// The data source renders a machine of the store in another format, and
// says a format that does not fit the machine's OS on its attribute.
func TestAccUserData(t *testing.T) {
	root := acc(t)
	config := machineConfig(root, "web1", `["203.0.113.7"]`, "") + `
data "dockbake_user_data" "mime" {
  machine = dockbake_machine.web.id
  format  = "mime"
}
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: resource.ComposeTestCheckFunc(
					resource.TestMatchResourceAttr("data.dockbake_user_data.mime", "user_data", regexp.MustCompile(`(?m)^Content-Type: multipart/mixed`)),
					resource.TestMatchResourceAttr("dockbake_machine.web", "user_data", regexp.MustCompile(`^#cloud-config`)),
				),
			},
			{
				Config: config + `
data "dockbake_user_data" "bad" {
  machine = dockbake_machine.web.id
  format  = "ignition"
}
`,
				ExpectError: regexp.MustCompile(`format: "ignition": ubuntu-24.04 boots with`),
			},
		},
	})
}
