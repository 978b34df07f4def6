package provider

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/dockbake/dockbake/internal/attach"
	"github.com/dockbake/dockbake/internal/dockerdtest"
	"github.com/dockbake/dockbake/internal/testenv"
	"github.com/dockbake/dockbake/pki"
)

// A machine made with no address boots a real dockerd from its user_data;
// dockbake_attachment then attaches it to 127.0.0.1 through the Docker API
// (the host's part played by dockerdtest.Host), the docker CLI gets in
// with the provider's client certificate, and an address change attaches
// it again with a new certificate.
func TestAccAttachmentRealDockerd(t *testing.T) {
	testenv.Root(t, "dockerd runs as root")
	testenv.LookPath(t, "dockerd", "apt-get install docker.io")
	testenv.LookPath(t, "docker", "apt-get install docker.io")
	root := acc(t)
	port := testenv.FreePort(t, "127.0.0.1")
	attach.RetryEvery /= 10
	var host *dockerdtest.Host
	last := "" // the fingerprint the previous attach served
	spool := ""
	factories := map[string]func() (tfprotov6.ProviderServer, error){
		"dockbake": func() (tfprotov6.ProviderServer, error) {
			return providerserver.NewProtocol6WithError(&dockbake{version: "test", getenv: os.Getenv, spoolDir: spool})()
		},
	}
	machine := machineConfig(root, "web1", "null", fmt.Sprintf(`port = %d
  os      = "debian-12"
  install = "none"`, port))
	attachment := func(extra string) string {
		return machine + fmt.Sprintf(`
resource "dockbake_attachment" "web" {
  machine      = dockbake_machine.web.name
  ip_addresses = ["127.0.0.1"]
  %s
  timeouts {
    create = "2m"
  }
}
`, extra)
	}
	served := func(dns ...string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			m := load(t, root, "web1")
			c, err := m.ServerCert()
			if err != nil {
				return err
			}
			if got := host.Served(); got != pki.Fingerprint(c) {
				return fmt.Errorf("dockerd serves %s, the store has %s", got, pki.Fingerprint(c))
			}
			for _, d := range dns {
				if !slices.Contains(c.DNSNames, d) {
					return fmt.Errorf("served certificate for %v %v, want %s among them", c.IPAddresses, c.DNSNames, d)
				}
			}
			if len(c.IPAddresses) != 1 || c.IPAddresses[0].String() != "127.0.0.1" {
				return fmt.Errorf("served certificate for %v", c.IPAddresses)
			}
			if pki.Fingerprint(c) == last {
				return fmt.Errorf("the attach served the certificate %s again", last)
			}
			last = pki.Fingerprint(c)
			return nil
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{
			{
				Config: machine,
				Check: func(s *terraform.State) error {
					a := s.RootModule().Resources["dockbake_machine.web"].Primary.Attributes
					if a["attached"] != "false" || a["docker_host"] != "" {
						return fmt.Errorf("a machine with no address: attached %s, docker_host %q", a["attached"], a["docker_host"])
					}
					host = dockerdtest.NewHost(t, dockerdtest.FromUserData(t, []byte(a["user_data"])))
					spool = host.Spool
					return nil
				},
			},
			{
				Config: attachment(""),
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr("dockbake_attachment.web", "docker_host", fmt.Sprintf("tcp://127.0.0.1:%d", port)),
					served(),
					func(s *terraform.State) error {
						a := s.RootModule().Resources["dockbake_machine.web"].Primary.Attributes
						return dockerIn(t, fmt.Sprintf("tcp://127.0.0.1:%d", port), a["ca_pem"], a["client_cert_pem"], a["client_key_pem"])
					},
				),
			},
			{
				Config: attachment(`dns_names = ["web1.test"]`),
				Check:  served("web1.test"),
			},
		},
	})
}

// An attachment's bad addresses are refused at plan time, on their paths.
func TestAccAttachmentPlanErrors(t *testing.T) {
	root := acc(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{{
			Config: machineConfig(root, "web1", "null", "") + `
resource "dockbake_attachment" "web" {
  machine      = dockbake_machine.web.name
  ip_addresses = ["127.0.0.1", "300.1.2.3"]
  port         = 70000
}
`,
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)ip_addresses\[1\]: "300\.1\.2\.3": not an IP address.*port: "70000"`),
		}},
	})
}
