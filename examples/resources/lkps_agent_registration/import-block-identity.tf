# Terraform 1.12 and later: import by the resource's identity. environment and region are optional and
# must be the provider's: a registration exists only in its LKPS environment and region.
import {
  to = lkps_agent_registration.agent
  identity = {
    agent_client_id = "426758d8-100a-4420-9ae2-5f17e44f7df4"
    environment     = "nonprod"
    region          = "eu"
  }
}
