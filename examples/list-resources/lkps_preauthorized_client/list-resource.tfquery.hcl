# Every client pre-authorized for the agent's access_as_client scope, one result per client.
list "lkps_preauthorized_client" "voice_agent" {
  provider = lkps
  config {
    agent_client_id = "426758d8-100a-4420-9ae2-5f17e44f7df4"
  }
}
