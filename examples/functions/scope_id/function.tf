# A client team pre-authorizes its application on an agent whose access_as_client scope the agent team
# manages with lkps_agent_client_scope in another workspace: scope_id() gives the scope's ID without
# reading that workspace's state. It matches only scopes this provider created; for a scope made in the
# portal or by azuread, use the ID the agent team gives you.
variable "agent_client_id" {
  type        = string
  description = "The agent's client ID, as the agent team gives it."
}

variable "my_client_id" {
  type        = string
  description = "The client ID of the client application."
}

resource "lkps_preauthorized_client" "me" {
  agent_client_id = var.agent_client_id
  client_id       = var.my_client_id
  scope_id        = provider::lkps::scope_id(var.agent_client_id)
}
