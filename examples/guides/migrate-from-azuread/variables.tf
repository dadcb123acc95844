variable "agent_client_id" {
  type        = string
  description = "The client ID of the agent's app registration."
}

variable "agent_object_id" {
  type        = string
  description = "The object ID of the agent's app registration (azuread's application_id is /applications/<object ID>)."
}

variable "scope_id" {
  type        = string
  description = "The ID of the agent's access_as_client scope, as azuread created it."
}

variable "client_ids" {
  type        = list(string)
  description = "The client IDs of the client applications pre-authorized for the scope."
}
