# Import by the agent's client ID (application ID), in any case.
terraform import lkps_agent_client_scope.agent 426758d8-100a-4420-9ae2-5f17e44f7df4

# A scope whose value is no longer access_as_client (renamed in the portal) is imported by
# <agent client ID>/<scope ID>; the next apply restores its value.
terraform import lkps_agent_client_scope.agent 426758d8-100a-4420-9ae2-5f17e44f7df4/0c0c0c0c-0000-4000-8000-000000000003
