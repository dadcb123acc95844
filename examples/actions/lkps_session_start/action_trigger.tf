# The agent team proves that its test client can really start a session each time the registration is
# created or registered again (an enforce_client_authz change or a secret rotation): the action runs
# after the registration, in the same apply, and a failure fails the apply with the fix.
variable "agent_secret" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "lkps_agent_client_scope" "agent" {
  agent_client_id = var.agent_client_id
}

resource "lkps_preauthorized_client" "client" {
  agent_client_id = var.agent_client_id
  client_id       = var.client_id
  scope_id        = lkps_agent_client_scope.agent.scope_id
}

resource "lkps_agent_registration" "agent" {
  agent_client_id                = var.agent_client_id
  agent_client_secret_wo         = var.agent_secret
  agent_client_secret_wo_version = 1

  # Register after the client is pre-authorized, so that the session start the trigger makes is allowed.
  depends_on = [lkps_preauthorized_client.client]

  lifecycle {
    action_trigger {
      events  = [after_create, after_update]
      actions = [action.lkps_session_start.check]
    }
  }
}
