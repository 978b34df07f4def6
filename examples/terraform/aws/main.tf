# One Docker host on EC2, set up by dockbake's user-data. First run
# ./render.sh (it writes web1.user-data.yaml), then terraform apply.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

variable "ami" {
  description = "An Ubuntu 24.04 AMI (dockbake's default --os)."
  type        = string
}

variable "eip_allocation_id" {
  description = "The Elastic IP whose address render.sh gave dockbake (--ip)."
  type        = string
}

variable "client_cidr" {
  description = "Where the docker CLI connects from."
  type        = string
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

  # The user-data carries the host's private TLS key; it stays in the
  # Terraform state too, so keep the state private.
  user_data                   = file("${path.module}/web1.user-data.yaml")
  user_data_replace_on_change = true

  # Containers must not read the user-data (and its key) from IMDS.
  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
}

resource "aws_eip_association" "web1" {
  instance_id   = aws_instance.web1.id
  allocation_id = var.eip_allocation_id
}
