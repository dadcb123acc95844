variable "agent_client_id" {
  description = "The client ID (application ID) of the agent's app registration. The identity Terraform runs as must own it and hold Application.ReadWrite.OwnedBy."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", var.agent_client_id))
    error_message = "agent_client_id must be the agent's client ID, a GUID such as 0f3c1a2b-4d5e-4f60-8a7b-9c0d1e2f3a4b."
  }
}

variable "clients" {
  description = "The client applications allowed to start sessions with the agent: a map from a name of your choosing (used in addresses and in the verdicts output) to the client's client ID."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for id in values(var.clients) : can(regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", id))])
    error_message = "Every value of clients must be a client ID, a GUID such as 0f3c1a2b-4d5e-4f60-8a7b-9c0d1e2f3a4b."
  }
}

variable "enforce_client_authz" {
  description = "Whether LKPS admits only the pre-authorized clients (true, LKPS's default and the recommendation for production agents) or any client with Ocelot access (false)."
  type        = bool
  default     = true
  nullable    = false
}

variable "agent_use_oidc" {
  description = "Register the agent with the provider's OIDC token (a pipeline's GitHub Actions or Azure DevOps token) through a federated identity credential on the agent's app registration, instead of a client secret: agent_client_secret is then not used."
  type        = bool
  default     = false
  nullable    = false
}

variable "agent_client_secret" {
  description = "A client secret of the agent, used only to register it with LKPS as the agent, unless agent_use_oidc is true. Ephemeral: never written to a saved plan or the state."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true

  validation {
    condition     = var.agent_use_oidc || var.agent_client_secret != null
    error_message = "Set agent_client_secret (a client secret of the agent), or agent_use_oidc = true to register with the pipeline's OIDC token."
  }
}

variable "agent_client_secret_version" {
  description = "Any number that you change when agent_client_secret changes, so that the agent registers again with the new secret."
  type        = number
  default     = 1
  nullable    = false
}
