# Register with a certificate of the agent's app registration (PEM, or base64 of a PFX archive).
resource "lkps_agent_registration" "agent" {
  agent_client_id                      = "426758d8-100a-4420-9ae2-5f17e44f7df4"
  agent_client_certificate_wo          = filebase64("${path.module}/agent.pfx")
  agent_client_certificate_password_wo = var.agent_certificate_password
  agent_client_certificate_wo_version  = 1
}

variable "agent_certificate_password" {
  type      = string
  sensitive = true
  ephemeral = true # never written to a saved plan file
}
