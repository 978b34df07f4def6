package provider

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/dockbake/dockbake/internal/boottest"
	"github.com/dockbake/dockbake/internal/testenv"
)

// TestAccAttachmentBootedGuest is the attachment's proof on a booted host:
// a Debian guest boots the user_data of a dockbake_machine with no
// address, with the real apply mechanism under its real systemd;
// dockbake_attachment attaches it to 127.0.0.2, an address its first
// certificate does not name, and the docker CLI gets in with the
// provider's client certificate; a second apply after the address changed
// (127.0.0.3) moves it. The guest shares this host's network namespace, so
// the provider, which runs in this process, reaches it on loopback.
func TestAccAttachmentBootedGuest(t *testing.T) {
	boottest.Require(t)
	testenv.LookPath(t, "docker", "apt-get install docker.io")
	root := acc(t)
	port := testenv.FreePort(t, "") // the guest's dockerd binds every address
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Minute)
	defer cancel()
	img, err := boottest.BuildImage(ctx, boottest.ImageOptions{Packages: boottest.DockerPackages})
	if err != nil {
		t.Fatal(err)
	}
	machine := machineConfig(root, "web1", "null", fmt.Sprintf(`port    = %d
  os      = "debian-12"
  install = "none"`, port))
	attachment := func(ip string) string {
		return machine + fmt.Sprintf(`
resource "dockbake_attachment" "web" {
  machine      = dockbake_machine.web.name
  ip_addresses = [%q]
  timeouts {
    create = "10m"
    update = "10m"
  }
}
`, ip)
	}
	dockerAt := func(ip string) resource.TestCheckFunc {
		return func(s *terraform.State) error {
			a := s.RootModule().Resources["dockbake_machine.web"].Primary.Attributes
			return dockerIn(t, fmt.Sprintf("tcp://%s:%d", ip, port), a["ca_pem"], a["client_cert_pem"], a["client_key_pem"])
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{
			{
				Config: machine,
				Check: func(s *terraform.State) error {
					ud := s.RootModule().Resources["dockbake_machine.web"].Primary.Attributes["user_data"]
					g, err := boottest.Boot(ctx, img, boottest.BootOptions{UserData: []byte(ud), HostNetwork: true})
					if err != nil {
						return err
					}
					t.Cleanup(func() {
						if err := g.Close(); err != nil {
							t.Errorf("teardown: %v", err)
						}
					})
					_, err = g.WaitCloudInit(ctx)
					return err
				},
			},
			{
				Config: attachment("127.0.0.2"),
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr("dockbake_attachment.web", "docker_host", fmt.Sprintf("tcp://127.0.0.2:%d", port)),
					dockerAt("127.0.0.2"),
				),
			},
			{
				Config: attachment("127.0.0.3"),
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr("dockbake_attachment.web", "docker_host", fmt.Sprintf("tcp://127.0.0.3:%d", port)),
					dockerAt("127.0.0.3"),
				),
			},
		},
	})
}
