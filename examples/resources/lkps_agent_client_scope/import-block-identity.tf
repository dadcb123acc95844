# Terraform 1.12 and later: import by the resource's identity.
import {
  to = lkps_agent_client_scope.agent
  identity = {
    agent_client_id = "426758d8-100a-4420-9ae2-5f17e44f7df4"
  }
}
