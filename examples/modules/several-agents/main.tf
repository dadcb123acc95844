# A platform team's configuration: several agents onboarded with one module call each, through for_each
# over the module examples/modules/agent-onboarding. The provider block is empty: the pipeline exports
# LKPS_* and ARM_* (see the guides).
terraform {
  required_version = ">= 1.11"
  required_providers {
    lkps = {
      source = "bayer/lkps"
    }
  }
}

provider "lkps" {}

variable "agents" {
  description = "The agents to onboard, by a name of your choosing: each agent's client ID, its clients (name => client ID) and whether LKPS enforces client authorization for it."
  type = map(object({
    agent_client_id      = string
    clients              = map(string)
    enforce_client_authz = optional(bool, true)
  }))
}

variable "agent_client_secrets" {
  description = "A client secret of each agent, by the same names as var.agents, used only to register it with LKPS as the agent."
  type        = map(string)
  sensitive   = true
  ephemeral   = true # never written to a saved plan or the state
}

module "agent" {
  source   = "../agent-onboarding"
  for_each = var.agents

  agent_client_id      = each.value.agent_client_id
  clients              = each.value.clients
  enforce_client_authz = each.value.enforce_client_authz
  agent_client_secret  = var.agent_client_secrets[each.key]
}

output "agents" {
  description = "Per agent: its scope ID, its LiveKit URL and whether LKPS would start a session for each of its clients."
  value = {
    for name, m in module.agent : name => {
      scope_id        = m.scope_id
      livekit_url     = m.livekit_url
      client_verdicts = m.client_verdicts
    }
  }
}
