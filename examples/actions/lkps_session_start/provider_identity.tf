# The same check with no credential in the action at all: an aliased provider block signs in as the
# client application, and the action uses that provider's identity. A provider block accepts ephemeral
# values, so the client's secret is written neither to a saved plan file nor to the state; give it again
# to `terraform apply <plan file>` (TF_VAR_client_secret). The provider block could equally use OIDC.
variable "client_secret" {
  type      = string
  sensitive = true
  ephemeral = true
}

provider "lkps" {
  alias         = "client"
  client_id     = var.client_id
  client_secret = var.client_secret
}

action "lkps_session_start" "as_client" {
  provider = lkps.client
  config {
    agent_client_id       = var.agent_client_id
    use_provider_identity = true
  }
}
