# Would LKPS let the web frontend start a session with the agent? Evaluated read-only through
# Microsoft Graph, with the same three checks LKPS makes at POST /api/session/start.
data "lkps_client_authorization" "web_frontend" {
  agent_client_id      = "426758d8-100a-4420-9ae2-5f17e44f7df4"
  client_id            = "5b0a8e1e-3c7d-4f6a-9b2e-8d1c0f4a7e31"
  enforce_client_authz = true
}

output "web_frontend_authorized" {
  value = data.lkps_client_authorization.web_frontend.authorized
}

# Verify the onboarding on every plan and apply: a failed assertion is reported as a warning with
# LKPS's reason, without blocking the run.
check "web_frontend_can_start_sessions" {
  data "lkps_client_authorization" "web_frontend_check" {
    agent_client_id      = lkps_agent_registration.agent.agent_client_id
    client_id            = "5b0a8e1e-3c7d-4f6a-9b2e-8d1c0f4a7e31"
    enforce_client_authz = lkps_agent_registration.agent.enforce_client_authz
  }

  assert {
    condition     = data.lkps_client_authorization.web_frontend_check.authorized
    error_message = "LKPS would refuse the web frontend (${data.lkps_client_authorization.web_frontend_check.failed_check}): ${data.lkps_client_authorization.web_frontend_check.reason}"
  }
}
