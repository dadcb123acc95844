# The agent's access_as_client scope (and Application ID URI).
list "lkps_agent_client_scope" "agent" {
  provider = lkps
  config {
    agent_client_ids = [var.agent_client_id]
  }
}

# Every client pre-authorized for the scope, one result each.
list "lkps_preauthorized_client" "clients" {
  provider = lkps
  config {
    agent_client_id = var.agent_client_id
  }
}
