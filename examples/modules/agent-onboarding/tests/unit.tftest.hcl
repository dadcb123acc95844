# The module's own tests, with a mocked provider: no network, no credentials. From this directory:
# terraform init && terraform test. A mock invents a random string for every computed attribute, but
# lkps_preauthorized_client.scope_id must be a GUID and the check block needs verdicts, so the mock
# supplies them.
mock_provider "lkps" {
  mock_resource "lkps_agent_client_scope" {
    defaults = {
      id       = "3d7f1b20-8c4e-4a9f-8b72-6e3a1d5c9f01"
      scope_id = "8a1f0c2e-3b4d-4e5f-9a6b-7c8d9e0f1a2b"
    }
  }
  mock_resource "lkps_preauthorized_client" {
    defaults = {
      scope_id = "8a1f0c2e-3b4d-4e5f-9a6b-7c8d9e0f1a2b"
    }
  }
  mock_resource "lkps_agent_registration" {
    defaults = {
      livekit_url   = "https://eu.livekit-np.int.bayer.com"
      registered_at = "2026-01-01T00:00:00Z"
    }
  }
  mock_data "lkps_client_authorization" {
    defaults = {
      authorized   = true
      failed_check = ""
      reason       = "LKPS would start the session."
      scope_id     = "8a1f0c2e-3b4d-4e5f-9a6b-7c8d9e0f1a2b"
    }
  }
}

variables {
  agent_client_id     = "3d7f1b20-8c4e-4a9f-8b72-6e3a1d5c9f01"
  clients             = { web = "3d7f1b20-8c4e-4a9f-8b72-6e3a1d5c9f02", partner = "3d7f1b20-8c4e-4a9f-8b72-6e3a1d5c9f03" }
  agent_client_secret = "not-used-by-the-mock"
}

run "one_pre_authorization_and_one_verdict_per_client" {
  command = apply

  assert {
    condition     = toset(keys(lkps_preauthorized_client.this)) == toset(["partner", "web"])
    error_message = "There is not one pre-authorization per client."
  }
  assert {
    condition     = lkps_preauthorized_client.this["web"].scope_id == output.scope_id
    error_message = "The pre-authorization is not for the agent's scope."
  }
  assert {
    condition     = lkps_agent_registration.this.enforce_client_authz
    error_message = "enforce_client_authz does not default to true."
  }
  assert {
    condition     = alltrue([for v in output.client_verdicts : v.authorized])
    error_message = "A client would be refused."
  }
}

# A client LKPS would refuse fails the check block (a warning in plan and apply, a failure here unless
# expected), and its verdict says why.
run "a_refused_client_fails_the_check" {
  command = apply

  override_data {
    target = data.lkps_client_authorization.this["partner"]
    values = {
      authorized   = false
      failed_check = "client_not_preauthorized"
      reason       = "Client '3d7f1b20-8c4e-4a9f-8b72-6e3a1d5c9f03' is not pre-authorized by agent '3d7f1b20-8c4e-4a9f-8b72-6e3a1d5c9f01'."
      scope_id     = "8a1f0c2e-3b4d-4e5f-9a6b-7c8d9e0f1a2b"
    }
  }

  expect_failures = [check.clients_can_start_sessions]

  assert {
    condition     = output.client_verdicts["partner"].failed_check == "client_not_preauthorized"
    error_message = "The refused client's verdict does not say why."
  }
  assert {
    condition     = output.client_verdicts["web"].authorized
    error_message = "The other client is refused too."
  }
}

# Enforcement off reaches the registration and the verdicts.
run "enforcement_off" {
  command = apply

  variables {
    enforce_client_authz = false
  }

  assert {
    condition     = lkps_agent_registration.this.enforce_client_authz == false
    error_message = "enforce_client_authz = false does not reach the registration."
  }
}

# A malformed agent client ID is refused before any API is called.
run "rejects_a_malformed_agent_id" {
  command = plan

  variables {
    agent_client_id = "my-agent"
  }

  expect_failures = [var.agent_client_id]
}

# A pipeline registers the agent with its OIDC token: the secret, given or not, is not used.
run "registration_with_oidc" {
  command = apply

  variables {
    agent_use_oidc = true
  }

  assert {
    condition     = lkps_agent_registration.this.agent_use_oidc == true
    error_message = "agent_use_oidc does not reach the registration."
  }
}

# Neither a secret nor OIDC: refused with the two ways to choose from.
run "rejects_no_agent_credential" {
  command = plan

  variables {
    agent_client_secret = null
  }

  expect_failures = [var.agent_client_secret]
}
