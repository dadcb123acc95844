resource "lkps_agent_client_scope" "agent" {
  agent_client_id = "426758d8-100a-4420-9ae2-5f17e44f7df4"
}

# Pre-authorize the client application that the client team gave you the client ID of.
resource "lkps_preauthorized_client" "web_frontend" {
  agent_client_id = lkps_agent_client_scope.agent.agent_client_id
  client_id       = "5b0a8e1e-3c7d-4f6a-9b2e-8d1c0f4a7e31"
  scope_id        = lkps_agent_client_scope.agent.scope_id
}
