output "scope_id" {
  description = "The ID of the agent's access_as_client scope."
  value       = lkps_agent_client_scope.this.scope_id
}

output "livekit_url" {
  description = "The LiveKit server URL LKPS returned for the agent."
  value       = lkps_agent_registration.this.livekit_url
}

output "client_verdicts" {
  description = "Per client (the keys of var.clients): whether LKPS would start its session, the check that failed (scope_missing, client_not_preauthorized or scope_not_granted; empty when authorized) and LKPS's reason."
  value = {
    for name, v in data.lkps_client_authorization.this : name => {
      client_id    = v.client_id
      authorized   = v.authorized
      failed_check = v.failed_check
      reason       = v.reason
    }
  }
}
