# Import by the agent's client ID. LKPS cannot be read, so the next apply registers the agent again
# with the configured enforce_client_authz: the plan after an import always shows an update.
terraform import lkps_agent_registration.agent 426758d8-100a-4420-9ae2-5f17e44f7df4
