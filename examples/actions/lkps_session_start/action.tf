# The LKPS guide's verification step ("make a test call to POST /api/session/start"), as the client
# application: terraform apply -invoke=action.lkps_session_start.check
# Each invocation starts one real session. Actions have no state: the secret is stored nowhere.
# Ephemeral values need write-only arguments, which the plugin framework does not allow in actions yet,
# so the secret comes from a sensitive variable.
variable "agent_client_id" {
  type        = string
  description = "The agent's client ID, as the agent team gives it."
}

variable "client_id" {
  type        = string
  description = "The client ID of the client application."
}

variable "client_secret" {
  type      = string
  sensitive = true
}

action "lkps_session_start" "check" {
  config {
    agent_client_id = var.agent_client_id
    client_id       = var.client_id
    client_secret   = var.client_secret
  }
}
