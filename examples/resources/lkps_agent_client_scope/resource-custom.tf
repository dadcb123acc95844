# A custom Application ID URI, admin-only consent and user consent texts.
resource "lkps_agent_client_scope" "custom" {
  agent_object_id            = "0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5"
  identifier_uri             = "api://fcb2b37b-5da0-466b-9b83-0014b67a7c78/my-agent"
  type                       = "Admin"
  admin_consent_display_name = "Access My Agent as a client application"
  admin_consent_description  = "Allows the client application to start LiveKit sessions with My Agent."
  user_consent_display_name  = "Talk to My Agent"
  user_consent_description   = "Allows the application to start sessions with My Agent on your behalf."
}
