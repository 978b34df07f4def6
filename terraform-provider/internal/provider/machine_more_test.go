package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/pki"
	"github.com/dockbake/dockbake/store"
)

// Every problem is reported at once, at plan time, on its attribute path.
func TestAccMachinePlanErrors(t *testing.T) {
	root := acc(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{{
			Config: providerBlock(root) + `
resource "dockbake_machine" "web" {
  name         = "web1"
  ip_addresses = ["10.0.0.1", "10.0.0.300"]
  engine_opts  = ["log-level=warn", "tlsverify"]
  key_type     = "dsa"
  target       = "nocloud"
}
`,
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)ip_addresses\[1\]: "10\.0\.0\.300": not an IP address.*engine_opts\[1\]: "tlsverify".*key_type: "dsa": unknown key type.*use one of ecdsa-p256.*target: "nocloud"`),
		}},
	})
	s, err := store.Open(root)
	if err == nil && s.Exists("web1") {
		t.Errorf("a refused machine was made")
	}
}

// Keys never show in a plan: the key and the user-data that holds the
// host's key are sensitive.
func TestAccMachineSensitive(t *testing.T) {
	root := acc(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{{
			Config: machineConfig(root, "web1", `["203.0.113.7"]`, ""),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectSensitiveValue("dockbake_machine.web", tfjsonpathRoot("client_key_pem")),
				plancheck.ExpectSensitiveValue("dockbake_machine.web", tfjsonpathRoot("user_data")),
				plancheck.ExpectSensitiveValue("dockbake_machine.web", tfjsonpathRoot("user_data_base64")),
			}},
		}},
	})
}

// terraform import reads a machine the CLI made, marks it as Terraform's,
// and a configuration that says the same plans no change.
func TestAccMachineImport(t *testing.T) {
	root := acc(t)
	config := machineConfig(root, "web2", `["203.0.113.9"]`, "")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					s, err := store.Open(root)
					if err != nil {
						t.Fatal(err)
					}
					spec := generator.Spec{Name: "web2", IPs: []string{"203.0.113.9"}}.WithDefaults()
					if _, err := s.Create(store.CreateRequest{Spec: spec, KeyType: pki.ECDSAP256,
						CertValidity: pki.DefaultCertValidity, CAValidity: pki.DefaultCAValidity}); err != nil {
						t.Fatal(err)
					}
				},
				Config:             config,
				ResourceName:       "dockbake_machine.web",
				ImportState:        true,
				ImportStateId:      "web2",
				ImportStatePersist: true,
				ImportStateCheck: func(is []*terraform.InstanceState) error {
					if len(is) != 1 || is[0].Attributes["docker_host"] != "tcp://203.0.113.9:2376" || is[0].Attributes["ip_addresses.0"] != "203.0.113.9" {
						return fmt.Errorf("imported: %v", is)
					}
					return nil
				},
			},
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
				Check: func(*terraform.State) error {
					if m := load(t, root, "web2"); m.ManagedBy != "terraform" {
						return fmt.Errorf("imported machine not marked: %q", m.ManagedBy)
					}
					return nil
				},
			},
		},
	})
}

// The state is the record: another working directory with the same state
// and an empty store gets the machine back in its store, with no change
// planned; a change made in the store behind Terraform's back shows in the
// plan and the apply puts the configuration's back.
func TestAccMachineMirror(t *testing.T) {
	root := acc(t)
	other := t.TempDir() + "/teammate-store"
	var serial string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{
			{
				Config: machineConfig(root, "web1", `["203.0.113.7"]`, ""),
				Check:  func(*terraform.State) error { serial, _ = serverCert(t, root, "web1"); return nil },
			},
			{
				Config: machineConfig(other, "web1", `["203.0.113.7"]`, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
				Check: func(*terraform.State) error {
					if s, _ := serverCert(t, other, "web1"); s != serial {
						return fmt.Errorf("the second store's mirror has serial %s, the state %s", s, serial)
					}
					if m := load(t, other, "web1"); m.ManagedBy != "terraform" {
						return fmt.Errorf("the re-created mirror is not marked: %q", m.ManagedBy)
					}
					return nil
				},
			},
			{
				PreConfig: func() {
					s, _ := store.Open(other)
					spec := load(t, other, "web1").Spec
					spec.IPs = []string{"198.51.100.1"}
					if _, err := s.Rotate(store.RotateRequest{Name: "web1", Spec: &spec}); err != nil {
						t.Fatal(err)
					}
				},
				Config: machineConfig(other, "web1", `["203.0.113.7"]`, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("dockbake_machine.web", plancheck.ResourceActionUpdate),
				}},
				Check: func(*terraform.State) error {
					if ips := load(t, other, "web1").Spec.IPs; len(ips) != 1 || ips[0] != "203.0.113.7" {
						return fmt.Errorf("after apply the store has %v", ips)
					}
					return nil
				},
			},
		},
	})
}

// Within early_renewal_days of the server certificate's end, the plan
// shows its renewal in place, from the same CA.
func TestAccMachineEarlyRenewal(t *testing.T) {
	root := acc(t)
	config := machineConfig(root, "web1", `["203.0.113.7"]`, `cert_validity = "10d"
  early_renewal_days = 30`)
	var serial, caFP string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{
			{
				Config:             config,
				Check:              func(*terraform.State) error { serial, caFP = serverCert(t, root, "web1"); return nil },
				ExpectNonEmptyPlan: true,
			},
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("dockbake_machine.web", plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue("dockbake_machine.web", tfjsonpathRoot("server_cert_expires")),
				}},
				Check: func(*terraform.State) error {
					s, fp := serverCert(t, root, "web1")
					if s == serial || fp != caFP {
						return fmt.Errorf("renewal: serial %s -> %s, CA %s -> %s", serial, s, caFP, fp)
					}
					serial = s
					return nil
				},
				ExpectNonEmptyPlan: true,
			},
			{
				Config: machineConfig(root, "web1", `["203.0.113.7"]`, `cert_validity = "10d"
  early_renewal_days = 5`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue("dockbake_machine.web", tfjsonpathRoot("server_cert_expires"), knownString()),
				}},
				Check: func(*terraform.State) error {
					if s, _ := serverCert(t, root, "web1"); s != serial {
						return fmt.Errorf("no renewal was due, yet serial %s became %s", serial, s)
					}
					return nil
				},
			},
		},
	})
}
