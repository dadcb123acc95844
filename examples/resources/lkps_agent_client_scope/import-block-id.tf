# Terraform 1.5 and later: import by the agent's client ID (application ID), in any case.
import {
  to = lkps_agent_client_scope.agent
  id = "426758d8-100a-4420-9ae2-5f17e44f7df4"
}
