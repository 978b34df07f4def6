# Two ways to make an Ubuntu AMI whose instances run Docker with mutual TLS
# for the dockbake machine "web":
#
#   baked       the dockbake provisioner uploads the certificates and the
#               docker.service drop-in over SSH and installs Docker;
#   cloud-init  the build VM sets itself up from the data source's
#               user-data, exactly what `dockbake render web` prints.
#
# Both use the same machine of the local store: the first to run creates
# it, later builds reuse its certificates. The server certificate names
# var.dns_name, never the build VM's temporary address: point that name at
# the instances you launch, then run eval "$(dockbake env web)".
#
#   packer build -only 'baked.*' amazon-ebs.pkr.hcl

packer {
  required_plugins {
    amazon = {
      source  = "github.com/hashicorp/amazon"
      version = ">= 1.3.4"
    }
    dockbake = {
      source  = "github.com/dockbake/dockbake"
      version = ">= 0.1.0"
    }
  }
}

variable "region" {
  type    = string
  default = "eu-central-1"
}

variable "machine_name" {
  type    = string
  default = "web"
}

variable "dns_name" {
  type    = string
  default = "docker.example.com"
}

locals {
  # Set when a template uses both the data source and the provisioner: the
  # data source sees no VM to detect the OS from.
  os        = "ubuntu-24.04"
  timestamp = formatdate("YYYYMMDDhhmmss", timestamp())
}

data "dockbake" "web" {
  machine_name = var.machine_name
  dns_names    = [var.dns_name]
  os           = local.os
}

source "amazon-ebs" "ubuntu" {
  region        = var.region
  instance_type = "t3.small"
  ssh_username  = "ubuntu"
  source_ami_filter {
    filters = {
      name                = "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"
      root-device-type    = "ebs"
      virtualization-type = "hvm"
    }
    owners      = ["099720477109"] # Canonical
    most_recent = true
  }
  tags = {
    DockerHost = data.dockbake.web.docker_host
  }
}

build {
  name = "baked"

  source "source.amazon-ebs.ubuntu" {
    ami_name = "dockbake-${var.machine_name}-baked-${local.timestamp}"
  }

  provisioner "dockbake" {
    machine_name = var.machine_name
    dns_names    = [var.dns_name]
    os           = local.os
  }
}

build {
  name = "cloud-init"

  source "source.amazon-ebs.ubuntu" {
    ami_name  = "dockbake-${var.machine_name}-cloud-init-${local.timestamp}"
    user_data = data.dockbake.web.user_data
  }

  # Wait for cloud-init to apply the user-data (status 2 is "done, with
  # warnings"), then forget this instance, so the AMI's instances start
  # cloud-init afresh and no copy of the user-data stays in /var/lib/cloud.
  provisioner "shell" {
    inline = [
      "cloud-init status --wait >/dev/null || [ $? -eq 2 ]",
      "sudo cloud-init clean --logs",
    ]
  }
}
