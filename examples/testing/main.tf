# Your agent's configuration, as the guide "Testing your configuration" tests it: the module
# examples/modules/agent-onboarding with your agent's and your clients' IDs (terraform.tfvars). The tests
# are in tests/: unit.tftest.hcl with mock_provider (no network, no credentials) and
# integration.tftest.hcl against the emulator.
terraform {
  required_version = ">= 1.11"
  required_providers {
    lkps = {
      source = "bayer/lkps"
    }
  }
}

provider "lkps" {}

variable "agent_client_id" {
  description = "Your agent's client ID (application ID)."
  type        = string
}

variable "clients" {
  description = "The client applications that may start sessions with your agent: name => client ID."
  type        = map(string)
}

variable "agent_client_secret" {
  description = "A client secret of your agent, used only to register it with LKPS."
  type        = string
  sensitive   = true
  ephemeral   = true
}

module "agent" {
  source = "../modules/agent-onboarding"

  agent_client_id     = var.agent_client_id
  clients             = var.clients
  agent_client_secret = var.agent_client_secret
}

output "scope_id" {
  value = module.agent.scope_id
}

output "livekit_url" {
  value = module.agent.livekit_url
}

output "client_verdicts" {
  value = module.agent.client_verdicts
}
