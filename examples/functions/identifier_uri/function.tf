# The agent's default Application ID URI, api://<client ID>: the identifier_uri lkps_agent_client_scope
# adds when its identifier_uri is not set.
variable "agent_client_id" {
  type        = string
  description = "The agent's client ID."
}

output "agent_identifier_uri" {
  value = provider::lkps::identifier_uri(var.agent_client_id)
}
