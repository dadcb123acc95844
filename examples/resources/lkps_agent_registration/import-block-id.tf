# Terraform 1.5 and later: import by the agent's client ID. LKPS cannot be read, so the next apply
# registers the agent again with the configured enforce_client_authz.
import {
  to = lkps_agent_registration.agent
  id = "426758d8-100a-4420-9ae2-5f17e44f7df4"
}
