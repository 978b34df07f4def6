package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/dockbake/dockbake/store"
)

func machineConfig(root, name, ips, extra string) string {
	return providerBlock(root) + fmt.Sprintf(`
resource "dockbake_machine" "web" {
  name         = %q
  ip_addresses = %s
  key_type     = "ecdsa-p256"
  %s
}
`, name, ips, extra)
}

// serverCert reads the server certificate of machine name in the store.
func serverCert(t *testing.T, root, name string) (serial, caFP string) {
	t.Helper()
	s, err := store.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	c, err := m.ServerCert()
	if err != nil {
		t.Fatal(err)
	}
	return c.SerialNumber.String(), m.CAFingerprint
}

// Create, update in place (a new server certificate from the same CA),
// replace (a new CA), and destroy, each checked in the store's mirror.
func TestAccMachineLifecycle(t *testing.T) {
	root := acc(t)
	var serial, caFP string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{
			{
				Config: machineConfig(root, "web1", `["203.0.113.7"]`, ""),
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr("dockbake_machine.web", "docker_host", "tcp://203.0.113.7:2376"),
					resource.TestCheckResourceAttr("dockbake_machine.web", "attached", "true"),
					resource.TestCheckResourceAttr("dockbake_machine.web", "os", "ubuntu-24.04"),
					resource.TestMatchResourceAttr("dockbake_machine.web", "user_data", regexp.MustCompile(`^#cloud-config\n`)),
					func(*terraform.State) error {
						serial, caFP = serverCert(t, root, "web1")
						m := load(t, root, "web1")
						if m.ManagedBy != "terraform" {
							return fmt.Errorf("the mirror is not marked as Terraform's: %q", m.ManagedBy)
						}
						return nil
					},
				),
			},
			{
				Config: machineConfig(root, "web1", `["203.0.113.8"]`, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("dockbake_machine.web", plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr("dockbake_machine.web", "docker_host", "tcp://203.0.113.8:2376"),
					func(*terraform.State) error {
						s2, fp2 := serverCert(t, root, "web1")
						if s2 == serial || fp2 != caFP {
							return fmt.Errorf("update in place: serial %s -> %s (want new), CA %s -> %s (want same)", serial, s2, caFP, fp2)
						}
						caFP = fp2
						return nil
					},
				),
			},
			{
				Config: machineConfig(root, "web1", `["203.0.113.8"]`, `format = "script"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("dockbake_machine.web", plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue("dockbake_machine.web", tfjsonpathRoot("user_data")),
					plancheck.ExpectKnownValue("dockbake_machine.web", tfjsonpathRoot("server_cert_expires"), knownString()),
				}},
				Check: resource.TestMatchResourceAttr("dockbake_machine.web", "user_data", regexp.MustCompile(`^#!/bin/sh`)),
			},
			{
				Config: machineConfig(root, "web1", `["203.0.113.8"]`, `format = "script"
  ca_validity = "1000d"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("dockbake_machine.web", plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: func(*terraform.State) error {
					if _, fp := serverCert(t, root, "web1"); fp == caFP {
						return fmt.Errorf("replaced machine kept CA %s", fp)
					}
					return nil
				},
			},
		},
		CheckDestroy: func(*terraform.State) error {
			s, err := store.Open(root)
			if err != nil {
				return err
			}
			if s.Exists("web1") {
				return fmt.Errorf("machine web1 still in the store after destroy")
			}
			return nil
		},
	})
}

func load(t *testing.T, root, name string) *store.Machine {
	t.Helper()
	s, err := store.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
