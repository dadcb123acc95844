# Import by the agent's client ID (application ID).
terraform import lkps_agent_client_scope.agent 426758d8-100a-4420-9ae2-5f17e44f7df4
