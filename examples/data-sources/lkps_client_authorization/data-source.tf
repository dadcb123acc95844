# Would LKPS let the web frontend start a session with the agent? Evaluated read-only through
# Microsoft Graph, with the same three checks LKPS makes at POST /api/session/start. Read after the
# registration, so that it sees the scope and pre-authorizations the registration depends on.
data "lkps_client_authorization" "web_frontend" {
  agent_client_id      = lkps_agent_registration.agent.agent_client_id
  client_id            = "5b0a8e1e-3c7d-4f6a-9b2e-8d1c0f4a7e31"
  enforce_client_authz = lkps_agent_registration.agent.enforce_client_authz
}

output "web_frontend_authorized" {
  value = data.lkps_client_authorization.web_frontend.authorized
}

# Verify the onboarding on every plan and apply: the data source is read outside the check block and
# asserted inside it. A failed assertion is reported as a warning with LKPS's reason, without blocking
# the run. (A data source nested in a check block is read again at every apply, so
# `terraform plan -detailed-exitcode` would never report "no changes".)
check "web_frontend_can_start_sessions" {
  assert {
    condition     = data.lkps_client_authorization.web_frontend.authorized
    error_message = "LKPS would refuse the web frontend (${data.lkps_client_authorization.web_frontend.failed_check}): ${data.lkps_client_authorization.web_frontend.reason}"
  }
}
