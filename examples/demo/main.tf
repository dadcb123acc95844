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

# Steps 1 to 4 and the verification, in the module every agent owner can use
# (examples/modules/agent-onboarding): the access_as_client scope, the frontend's pre-authorization, the
# registration with LKPS as the agent with authorization enforced, and a check block that asserts, on
# every plan and apply, that LKPS would start a session for the frontend.
module "agent" {
  source = "../modules/agent-onboarding"

  agent_client_id      = var.agent_client_id
  clients              = { frontend = var.frontend_client_id }
  enforce_client_authz = true
  agent_client_secret  = var.agent_client_secret
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
  value = module.agent.scope_id
}

output "livekit_url" {
  value = module.agent.livekit_url
}

output "client_verdicts" {
  description = "Whether LKPS would start a session for each client, and why not."
  value       = module.agent.client_verdicts
}
