# In the agent's own pipeline, where the provider already authenticates as the agent
# (ARM_CLIENT_ID is the agent's client ID), no second credential is needed.
resource "lkps_agent_registration" "self" {
  agent_client_id       = "426758d8-100a-4420-9ae2-5f17e44f7df4"
  use_provider_identity = true
}
