# Steps 1 and 2 of "Client-to-Agent Authorization": the Application ID URI (api://<client ID> by default)
# and the access_as_client scope with the guide's consent texts.
resource "lkps_agent_client_scope" "agent" {
  agent_client_id = "426758d8-100a-4420-9ae2-5f17e44f7df4"
}

# Step 3: one pre-authorized client per entry of a map (client name => client ID).
variable "clients" {
  type = map(string)
  default = {
    web-frontend = "5b0a8e1e-3c7d-4f6a-9b2e-8d1c0f4a7e31"
    batch-worker = "9f2d4c6b-1a3e-4b5d-8c7f-0e9a1b2c3d4e"
  }
}

resource "lkps_preauthorized_client" "client" {
  for_each = var.clients

  agent_client_id = lkps_agent_client_scope.agent.agent_client_id
  client_id       = each.value
  scope_id        = lkps_agent_client_scope.agent.scope_id
}
