# The configuration the pipelines of examples/ci apply (infra/ in your repository): the module
# agent-onboarding with your agent's and clients' IDs (terraform.tfvars). The agent registers with LKPS
# with the pipeline's OIDC token through its own federated credential (agent_use_oidc): no secret of the
# agent or of the deployer exists in the pipeline. The secret variant is in the guides.
terraform {
  required_version = ">= 1.11"
  required_providers {
    lkps = {
      source = "bayer/lkps"
    }
  }
}

# Every setting comes from the pipeline's environment: ARM_* (OIDC) and LKPS_ENVIRONMENT / LKPS_REGION.
provider "lkps" {}

variable "agent_client_id" {
  description = "Your agent's client ID (application ID)."
  type        = string
}

variable "clients" {
  description = "The client applications that may start sessions with your agent: name => client ID."
  type        = map(string)
}

module "agent" {
  source = "../modules/agent-onboarding"

  agent_client_id = var.agent_client_id
  clients         = var.clients
  agent_use_oidc  = true
}

output "scope_id" {
  value = module.agent.scope_id
}

output "client_verdicts" {
  value = module.agent.client_verdicts
}
