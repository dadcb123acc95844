# The LKPS onboarding of one agent, end to end (see README.md). The provider block is empty: run.sh
# exports the emulator's LKPS_* and ARM_* variables, exactly as a pipeline would for the real services.
terraform {
  required_version = ">= 1.11" # write-only attributes
  required_providers {
    lkps = {
      source = "bayer/lkps"
    }
  }
}

provider "lkps" {}

variable "agent_client_id" {
  description = "The agent's app registration (owned by the deployer)."
  type        = string
  default     = "d3e40000-0000-4000-8000-000000000002"
}

variable "agent_client_secret" {
  description = "A client secret of the agent, used only to register it with LKPS as the agent."
  type        = string
  sensitive   = true # never shown in plan output or logs
  ephemeral   = true # never written to a saved plan file or the state (Terraform >= 1.10)
}

variable "frontend_client_id" {
  description = "The client application the agent owner authorizes."
  type        = string
  default     = "d3e40000-0000-4000-8000-000000000003"
}

# Environments & URLs: the route, its Ocelot page and the LiveKit URL of nonprod/eu.
data "lkps_environment" "current" {}

# The whole environment table (no credentials, no network).
data "lkps_environments" "all" {}

# Steps 1 and 2: the Application ID URI and the access_as_client scope.
resource "lkps_agent_client_scope" "agent" {
  agent_client_id = var.agent_client_id
}

# Step 3: pre-authorize the web frontend for the scope.
resource "lkps_preauthorized_client" "frontend" {
  agent_client_id = lkps_agent_client_scope.agent.agent_client_id
  client_id       = var.frontend_client_id
  scope_id        = lkps_agent_client_scope.agent.scope_id
}

# Step 4: register the agent with LKPS, as the agent, with authorization enforced.
resource "lkps_agent_registration" "agent" {
  agent_client_id                = var.agent_client_id
  enforce_client_authz           = true
  agent_client_secret_wo         = var.agent_client_secret
  agent_client_secret_wo_version = 1

  depends_on = [lkps_preauthorized_client.frontend]
}

# Verification: would LKPS start a session for the frontend? Evaluated on every plan and apply. The
# data source is declared outside the check block on purpose: Terraform reads a data source nested in
# a check block again at every apply, so `terraform plan -detailed-exitcode` would never report "no
# changes".
data "lkps_client_authorization" "frontend" {
  agent_client_id      = lkps_agent_registration.agent.agent_client_id
  client_id            = var.frontend_client_id
  enforce_client_authz = lkps_agent_registration.agent.enforce_client_authz
}

check "frontend_can_start_sessions" {
  assert {
    condition     = data.lkps_client_authorization.frontend.authorized
    error_message = "LKPS would refuse the frontend (${data.lkps_client_authorization.frontend.failed_check}): ${data.lkps_client_authorization.frontend.reason}"
  }
}

output "environment_table" {
  description = "The LKPS environment table, one line per environment and region."
  value = join("\n", [for e in data.lkps_environments.all.environments :
    format("   %-11s %-52s %s", e.id, e.lkps_base_url, e.livekit_url)
  ])
}

output "lkps_route" {
  value = data.lkps_environment.current.id
}

output "ocelot_route_url" {
  value = data.lkps_environment.current.ocelot_route_url
}

output "scope_id" {
  value = lkps_agent_client_scope.agent.scope_id
}

output "livekit_url" {
  value = lkps_agent_registration.agent.livekit_url
}
