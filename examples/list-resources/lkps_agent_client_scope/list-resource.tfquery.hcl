# Every agent the provider's identity owns that exposes access_as_client, one result per agent.
list "lkps_agent_client_scope" "owned" {
  provider = lkps
}

# Only the named agents (client IDs or object IDs).
list "lkps_agent_client_scope" "voice_agent" {
  provider = lkps
  config {
    agent_client_ids = ["426758d8-100a-4420-9ae2-5f17e44f7df4"]
  }
}
