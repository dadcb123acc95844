# Step 4 of "Client-to-Agent Authorization": register the agent with LKPS, as the agent.
# Sensitive keeps the secret out of plan output and logs; ephemeral (Terraform 1.10 or later) keeps it
# out of saved plan files (`terraform plan -out`) and the state as well.
variable "agent_client_secret" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "lkps_agent_registration" "agent" {
  agent_client_id      = "426758d8-100a-4420-9ae2-5f17e44f7df4"
  enforce_client_authz = true # the default: only pre-authorized clients can start sessions

  # Write-only (Terraform 1.11 or later): used for the registration, never stored in plan or state.
  # Bump the version when you rotate the secret, so that the agent is registered again with it.
  agent_client_secret_wo         = var.agent_client_secret
  agent_client_secret_wo_version = 1

  # Register after the scope and the pre-authorized clients exist, so that the apply-time check sees them.
  depends_on = [lkps_agent_client_scope.agent, lkps_preauthorized_client.web_frontend]
}

output "livekit_url" {
  value = lkps_agent_registration.agent.livekit_url
}
