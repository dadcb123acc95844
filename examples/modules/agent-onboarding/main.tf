# The whole LKPS onboarding of one agent: the access_as_client scope, one pre-authorization per client,
# the registration with LKPS (as the agent), and a verdict per client of whether LKPS would start its
# session, asserted by the check block below.

# Steps 1 and 2: the Application ID URI and the access_as_client scope.
resource "lkps_agent_client_scope" "this" {
  agent_client_id = var.agent_client_id
}

# Step 3: pre-authorize each client for the scope.
resource "lkps_preauthorized_client" "this" {
  for_each = var.clients

  agent_client_id = lkps_agent_client_scope.this.agent_client_id
  client_id       = each.value
  scope_id        = lkps_agent_client_scope.this.scope_id
}

# Step 4: register the agent with LKPS, as the agent: with the provider's OIDC token through the agent's
# federated credential (agent_use_oidc, no secret), or with a client secret of the agent.
resource "lkps_agent_registration" "this" {
  agent_client_id                = var.agent_client_id
  enforce_client_authz           = var.enforce_client_authz
  agent_use_oidc                 = var.agent_use_oidc ? true : null
  agent_client_secret_wo         = var.agent_use_oidc ? null : var.agent_client_secret
  agent_client_secret_wo_version = var.agent_use_oidc ? null : var.agent_client_secret_version

  depends_on = [lkps_preauthorized_client.this]
}

# Verification: would LKPS start a session for each client? Declared outside the check block on purpose:
# a data source nested in a check block is read again at every apply, so a plan would never be empty.
data "lkps_client_authorization" "this" {
  for_each = var.clients

  agent_client_id      = lkps_agent_registration.this.agent_client_id
  client_id            = each.value
  enforce_client_authz = lkps_agent_registration.this.enforce_client_authz
}

check "clients_can_start_sessions" {
  assert {
    condition = alltrue([for v in data.lkps_client_authorization.this : v.authorized])
    error_message = join("; ", [
      for name, v in data.lkps_client_authorization.this :
      "LKPS would refuse client ${name} (${v.failed_check}): ${v.reason}" if !v.authorized
    ])
  }
}
