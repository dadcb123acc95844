# terraform test -filter=tests/unit.tftest.hcl: the configuration's logic with a mocked provider, no
# network and no credentials. A mock invents a random string for every computed attribute, but
# lkps_preauthorized_client.scope_id must be a GUID and the check block needs real verdicts, so the mock
# supplies them.
mock_provider "lkps" {
  mock_resource "lkps_agent_client_scope" {
    defaults = {
      id       = "2c9e5a10-7b3d-4f8e-9a61-5d2f0c4b8e01"
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
  agent_client_secret = "not-used-by-the-mock"
}

run "onboards_every_client" {
  command = apply

  assert {
    condition     = output.scope_id == "8a1f0c2e-3b4d-4e5f-9a6b-7c8d9e0f1a2b"
    error_message = "scope_id is not the scope's ID."
  }
  assert {
    condition     = length(module.agent.client_verdicts) == length(var.clients)
    error_message = "There is not one verdict per client."
  }
  assert {
    condition     = alltrue([for v in output.client_verdicts : v.authorized])
    error_message = "A client would be refused."
  }
  assert {
    condition     = output.livekit_url == "https://eu.livekit-np.int.bayer.com"
    error_message = "livekit_url is not LKPS's answer."
  }
}
