# The agent's client secret read from Azure Key Vault through an ephemeral resource, straight into the
# write-only agent_client_secret_wo: the secret is in no variable, no plan file and no state. Terraform
# opens the ephemeral resource during plan and again during apply (also when applying a saved plan), so
# the pipeline's identity needs read access to the secret in both jobs (Key Vault Secrets User).
terraform {
  required_version = ">= 1.11" # ephemeral resources (1.10) and write-only attributes (1.11)
  required_providers {
    lkps = {
      source = "bayer/lkps"
    }
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.0" # a 4.x release with the ephemeral resource azurerm_key_vault_secret
    }
  }
}

provider "lkps" {}

provider "azurerm" {
  features {}
  subscription_id = var.subscription_id
}

variable "subscription_id" {
  description = "The subscription of the key vault."
  type        = string
}

variable "key_vault_id" {
  description = "The resource ID of the key vault that holds the agent's client secret."
  type        = string
}

variable "agent_client_id" {
  description = "The agent's client ID (application ID)."
  type        = string
}

variable "agent_secret_name" {
  description = "The name of the key vault secret holding a client secret of the agent."
  type        = string
  default     = "lkps-agent-client-secret"
}

variable "agent_secret_version" {
  description = "Bump it after rotating the secret in the key vault, so that the agent registers again with the new secret (write-only values are not compared between runs)."
  type        = number
  default     = 1
}

ephemeral "azurerm_key_vault_secret" "agent" {
  name         = var.agent_secret_name
  key_vault_id = var.key_vault_id
}

resource "lkps_agent_client_scope" "agent" {
  agent_client_id = var.agent_client_id
}

resource "lkps_agent_registration" "agent" {
  agent_client_id                = lkps_agent_client_scope.agent.agent_client_id
  agent_client_secret_wo         = ephemeral.azurerm_key_vault_secret.agent.value
  agent_client_secret_wo_version = var.agent_secret_version
}

output "livekit_url" {
  value = lkps_agent_registration.agent.livekit_url
}
