# dockbake's cloud-config as one part of Terraform's cloudinit_config, next
# to your own. First run ./render.sh, then terraform apply.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
    cloudinit = {
      source  = "hashicorp/cloudinit"
      version = ">= 2.3"
    }
  }
}

variable "ami" {
  description = "An Ubuntu 24.04 AMI (dockbake's default --os)."
  type        = string
}

locals {
  # Later parts append to the lists of earlier ones instead of replacing
  # them (cloud-init's default); the same header dockbake's --format mime
  # writes.
  merge_type = "list(append)+dict(no_replace,recurse_list)+str()"
}

data "cloudinit_config" "web2" {
  gzip          = true
  base64_encode = true

  part {
    filename     = "dockbake-web2.cfg"
    content_type = "text/cloud-config"
    content      = file("${path.module}/web2.cloud-config.yaml")
    merge_type   = local.merge_type
  }

  part {
    filename     = "extra.cfg"
    content_type = "text/cloud-config"
    content      = file("${path.module}/extra.yaml")
    merge_type   = local.merge_type
  }
}

resource "aws_instance" "web2" {
  ami           = var.ami
  instance_type = "t3.small"

  # gzip'd user-data goes through user_data_base64.
  user_data_base64            = data.cloudinit_config.web2.rendered
  user_data_replace_on_change = true

  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
}
