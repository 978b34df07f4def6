# Bakes a dockbake machine into a Linux host that already runs, reached over
# SSH: the null builder creates nothing, it only connects. The plugin's end
# to end test builds this template against a booted Debian guest, then
# reaches its dockerd with `eval "$(dockbake env NAME)"`.
#
#   packer build -var ssh_host=HOST -var ssh_private_key_file=KEY null-ssh.pkr.hcl

packer {
  required_plugins {
    dockbake = {
      source  = "github.com/dockbake/dockbake"
      version = ">= 0.1.0"
    }
  }
}

variable "ssh_host" {
  type    = string
  default = "127.0.0.1"
}

variable "ssh_port" {
  type    = number
  default = 22
}

variable "ssh_username" {
  type        = string
  default     = "builder"
  description = "A user with password-less sudo on the host."
}

variable "ssh_private_key_file" {
  type = string
}

variable "machine_name" {
  type    = string
  default = "null-host"
}

variable "ip_addresses" {
  type        = list(string)
  default     = ["127.0.0.1"]
  description = "The addresses clients dial: they go into the server certificate."
}

variable "storage_path" {
  type        = string
  default     = null
  description = "The dockbake store; null means the plugin's default (~/.docker/dockbake)."
}

variable "install" {
  type        = string
  default     = null
  description = "distro, docker-ce or none; null means the OS's own default."
}

source "null" "host" {
  communicator         = "ssh"
  ssh_host             = var.ssh_host
  ssh_port             = var.ssh_port
  ssh_username         = var.ssh_username
  ssh_private_key_file = var.ssh_private_key_file
  ssh_timeout          = "2m"
}

build {
  sources = ["source.null.host"]

  # os is left unset: the provisioner reads it from the host's /etc/os-release.
  provisioner "dockbake" {
    machine_name = var.machine_name
    storage_path = var.storage_path
    ip_addresses = var.ip_addresses
    install      = var.install
  }
}
