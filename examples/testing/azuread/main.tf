# The whole onboarding as an agent's team writes it: the agent's and the clients' app registrations with
# the azuread provider, then the LKPS scope and one pre-authorization per client with lkps. Run it against
# the emulator (guide "Testing your configuration", "Create the applications with azuread too"): both
# providers read the emulator's exports (ARM_*, ARM_METADATA_HOSTNAME, LKPS_*, SSL_CERT_FILE).
terraform {
  required_version = ">= 1.11"
  required_providers {
    azuread = {
      source  = "hashicorp/azuread"
      version = "~> 3.9"
    }
    lkps = {
      source = "bayer/lkps"
    }
  }
}

# Against the emulator, metadata_host comes from ARM_METADATA_HOSTNAME; against Entra ID leave it unset.
provider "azuread" {}

provider "lkps" {}

variable "clients" {
  description = "The client applications to create: name => display name."
  type        = map(string)
  default = {
    web_frontend = "voice-agent web frontend"
    partner      = "voice-agent partner"
  }
}

# The identity Terraform runs as: it becomes an owner of what it creates, as
# Application.ReadWrite.OwnedBy needs.
data "azuread_client_config" "current" {}

resource "azuread_application" "agent" {
  display_name     = "voice-agent"
  owners           = [data.azuread_client_config.current.object_id]
  sign_in_audience = "AzureADMyOrg"

  # lkps_agent_client_scope manages the Application ID URI and the access_as_client scope. With no api
  # block here, ignore the whole block: otherwise azuread plans to remove the scope lkps added.
  lifecycle {
    ignore_changes = [identifier_uris, api]
  }
}

resource "azuread_application" "client" {
  for_each = var.clients

  display_name     = each.value
  owners           = [data.azuread_client_config.current.object_id]
  sign_in_audience = "AzureADMyOrg"
}

# Steps 1 and 2: the Application ID URI (api://<agent client ID>) and the access_as_client scope.
resource "lkps_agent_client_scope" "agent" {
  agent_client_id = azuread_application.agent.client_id
}

# Step 3: pre-authorize each client for the scope.
resource "lkps_preauthorized_client" "client" {
  for_each = azuread_application.client

  agent_client_id = lkps_agent_client_scope.agent.agent_client_id
  client_id       = each.value.client_id
  scope_id        = lkps_agent_client_scope.agent.scope_id
}

output "agent_client_id" {
  value = azuread_application.agent.client_id
}

output "identifier_uri" {
  value = lkps_agent_client_scope.agent.identifier_uri
}

output "client_ids" {
  value = { for name, app in azuread_application.client : name => app.client_id }
}
