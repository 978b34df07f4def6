# A dockbake machine made by Terraform alone, with no cloud: its
# user-data as a file for any host, and the machine in the local store
# for `dockbake env web1`. CI applies this example.

terraform {
  required_providers {
    dockbake = {
      source  = "dockbake/dockbake"
      version = ">= 0.1.0"
    }
  }
}

provider "dockbake" {}

resource "dockbake_machine" "web1" {
  name         = "web1"
  ip_addresses = ["203.0.113.10"]
  os           = "debian-12"
  key_type     = "ecdsa-p256"

  # Within 30 days of the server certificate's end, the plan renews it.
  early_renewal_days = 30
}

# The same machine as a shell script, for a host that is already running.
data "dockbake_user_data" "script" {
  machine = dockbake_machine.web1.id
  format  = "script"
}

output "docker_host" {
  value = dockbake_machine.web1.docker_host
}

output "user_data" {
  value     = dockbake_machine.web1.user_data
  sensitive = true
}

output "script" {
  value     = data.dockbake_user_data.script.user_data
  sensitive = true
}
