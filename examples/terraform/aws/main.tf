# One Docker host on EC2, set up by dockbake's user-data, with no Elastic
# IP: the machine is made with no address, the instance boots with its
# user-data, and dockbake_attachment gives the host the certificate for
# the public IP it got, through its dockerd. Install the dockbake provider
# with `make terraform-install` (docs/terraform.md), then terraform init
# and terraform apply; afterwards: eval "$(dockbake env web1)".

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
    dockbake = {
      source  = "dockbake/dockbake"
      version = ">= 0.1.0"
    }
  }
}

variable "ami" {
  description = "An Ubuntu 24.04 AMI (dockbake's default os)."
  type        = string
}

variable "client_cidr" {
  description = "Where the docker CLI (and terraform apply, which attaches) connects from."
  type        = string
}

provider "dockbake" {}

# No ip_addresses: the attachment below records the address.
resource "dockbake_machine" "web1" {
  name     = "web1"
  key_type = "ecdsa-p256"
  target   = "aws"
}

resource "aws_security_group" "docker_tls" {
  name_prefix = "dockbake-"
  description = "Docker API with mutual TLS"

  ingress {
    description = "Docker TLS"
    from_port   = 2376
    to_port     = 2376
    protocol    = "tcp"
    cidr_blocks = [var.client_cidr]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_instance" "web1" {
  ami                    = var.ami
  instance_type          = "t3.small"
  vpc_security_group_ids = [aws_security_group.docker_tls.id]

  # The user-data carries the host's private TLS key (it is sensitive in
  # the plan, and in the state: keep the state in an encrypted backend).
  user_data_base64            = dockbake_machine.web1.user_data_base64
  user_data_replace_on_change = true

  # Containers must not read the user-data (and its key) from IMDS.
  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
}

# Waits for the new instance's dockerd, then gives it the certificate for
# its public IP. A new address (a replaced instance) attaches again.
resource "dockbake_attachment" "web1" {
  machine      = dockbake_machine.web1.name
  ip_addresses = [aws_instance.web1.public_ip]

  timeouts {
    create = "10m"
    update = "10m"
  }
}

output "docker_host" {
  value = dockbake_attachment.web1.docker_host
}
