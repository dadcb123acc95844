# Adopting an agent that was set up in the portal: the Terraform configuration the query runs in.
# `terraform query -generate-config-out=adopt.tf` writes the resource and import blocks next to it.
terraform {
  required_version = ">= 1.14"
  required_providers {
    lkps = {
      source = "bayer/lkps"
    }
  }
}

provider "lkps" {}

variable "agent_client_id" {
  type        = string
  description = "The client ID of the agent's app registration, as shown on its Overview page."
}
