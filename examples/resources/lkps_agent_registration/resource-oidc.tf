# No secret anywhere: in a GitHub Actions job with `permissions: id-token: write`, the provider signs in
# as the deployer with the job's OIDC token (use_oidc, see the workflow below) and registers the agent
# with the same token, exchanged for a token of the agent through a federated credential on the agent's
# app registration (issuer https://token.actions.githubusercontent.com, subject of the job, e.g.
# repo:<org>/<repo>:ref:refs/heads/main, audience api://AzureADTokenExchange).
variable "agent_client_id" {
  type        = string
  description = "The client ID of the agent's app registration."
}

resource "lkps_agent_registration" "agent" {
  agent_client_id = var.agent_client_id
  agent_use_oidc  = true
}
