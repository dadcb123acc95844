# terraform test -filter=tests/integration.tftest.hcl: the configuration for real, against the emulator
# seeded with the IDs of terraform.tfvars (see the guide "Testing your configuration"):
#
#   lkps-emulator seed --agent <agent_client_id> --client <each client ID> > seed.json
#   lkps-emulator --seed seed.json --env-file emulator.env &   then   . ./emulator.env
#
# The provider reads the emulator's exports (LKPS_*, ARM_*, SSL_CERT_FILE). terraform test destroys what
# the runs created at the end.

variables {
  # The agent secret `lkps-emulator seed` gives every agent; a test value that exists only inside the emulator.
  agent_client_secret = "emulator-agent-secret"
}

run "onboard" {
  command = apply

  assert {
    condition     = can(regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", output.scope_id))
    error_message = "scope_id is not a GUID: ${output.scope_id}."
  }
  assert {
    condition     = startswith(output.livekit_url, "https://")
    error_message = "LKPS returned no LiveKit URL."
  }
  assert {
    condition     = toset(keys(output.client_verdicts)) == toset(keys(var.clients))
    error_message = "There is not one verdict per client."
  }
  assert {
    condition     = alltrue([for v in output.client_verdicts : v.authorized])
    error_message = "LKPS would refuse a client: ${jsonencode(output.client_verdicts)}."
  }
}

# Dropping a client removes its pre-authorization, in place: the other client stays admitted.
run "drop_a_client" {
  command = apply

  variables {
    clients = { web_frontend = var.clients["web_frontend"] }
  }

  assert {
    condition     = toset(keys(output.client_verdicts)) == toset(["web_frontend"]) && output.client_verdicts["web_frontend"].authorized
    error_message = "The remaining client is not admitted: ${jsonencode(output.client_verdicts)}."
  }
}
