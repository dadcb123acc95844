# The agent team proves that a client can really start a session each time the registration is created
# or registered again (an enforce_client_authz change or a secret rotation): the action runs after the
# registration, in the same apply, and a failure fails the apply with the fix.
variable "agent_secret" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "lkps_agent_registration" "agent" {
  agent_client_id                = var.agent_client_id
  agent_client_secret_wo         = var.agent_secret
  agent_client_secret_wo_version = 1

  lifecycle {
    action_trigger {
      events  = [after_create, after_update]
      actions = [action.lkps_session_start.check]
    }
  }
}
