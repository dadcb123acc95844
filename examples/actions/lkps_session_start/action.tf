# The LKPS guide's verification step ("make a test call to POST /api/session/start"), as the client
# application: terraform apply -invoke=action.lkps_session_start.check
# Each invocation starts one real session. The configuration holds no secret: Terraform writes an
# action's configuration into saved plan files, so the action reads the client's secret when it runs,
# from the environment variable named here (export LKPS_CLIENT_SECRET=... before terraform).
variable "agent_client_id" {
  type        = string
  description = "The agent's client ID, as the agent team gives it."
}

variable "client_id" {
  type        = string
  description = "The client ID of the client application."
}

action "lkps_session_start" "check" {
  config {
    agent_client_id       = var.agent_client_id
    client_id             = var.client_id
    client_secret_env_var = "LKPS_CLIENT_SECRET" # the variable's name, not the secret
  }
}
