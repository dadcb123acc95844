# An agent in two environments and two regions: one provider alias per LKPS route (environment and
# region), the nonprod and prod app registrations of the agent onboarded once each with the module
# agent-onboarding (scope, pre-authorizations, registration on the eu route, verdicts, check), and one
# more registration per further route: LKPS keeps a registration per route. Entra ID and Graph are the
# same for every alias; only LKPS's base URL and token scope follow the environment and region.
terraform {
  required_version = ">= 1.11"
  required_providers {
    lkps = {
      source = "bayer/lkps"
    }
  }
}

provider "lkps" {
  alias         = "nonprod_eu"
  environment   = "nonprod"
  region        = "eu"
  lkps_base_url = lookup(var.lkps_base_urls, "nonprod/eu", null)
}

provider "lkps" {
  alias         = "nonprod_us"
  environment   = "nonprod"
  region        = "us"
  lkps_base_url = lookup(var.lkps_base_urls, "nonprod/us", null)
}

provider "lkps" {
  alias         = "prod_eu"
  environment   = "prod"
  region        = "eu"
  lkps_base_url = lookup(var.lkps_base_urls, "prod/eu", null)
}

provider "lkps" {
  alias         = "prod_us"
  environment   = "prod"
  region        = "us"
  lkps_base_url = lookup(var.lkps_base_urls, "prod/us", null)
}

variable "agent_client_ids" {
  description = "The agent's app registration in each environment."
  type        = object({ nonprod = string, prod = string })
}

variable "clients" {
  description = "The clients allowed to start sessions in each environment: name => client ID."
  type        = object({ nonprod = map(string), prod = map(string) })
}

variable "agent_client_secrets" {
  description = "A client secret of each environment's agent app registration."
  type        = object({ nonprod = string, prod = string })
  sensitive   = true
  ephemeral   = true
}

variable "lkps_base_urls" {
  description = "Overrides of LKPS's base URL by route (\"prod/eu\"), for a proxy or the local emulator; empty against the real services."
  type        = map(string)
  default     = {}
}

module "nonprod" {
  source    = "../modules/agent-onboarding"
  providers = { lkps = lkps.nonprod_eu }

  agent_client_id     = var.agent_client_ids.nonprod
  clients             = var.clients.nonprod
  agent_client_secret = var.agent_client_secrets.nonprod
}

resource "lkps_agent_registration" "nonprod_us" {
  provider = lkps.nonprod_us

  agent_client_id                = var.agent_client_ids.nonprod
  agent_client_secret_wo         = var.agent_client_secrets.nonprod
  agent_client_secret_wo_version = 1
  depends_on                     = [module.nonprod]
}

module "prod" {
  source    = "../modules/agent-onboarding"
  providers = { lkps = lkps.prod_eu }

  agent_client_id     = var.agent_client_ids.prod
  clients             = var.clients.prod
  agent_client_secret = var.agent_client_secrets.prod
}

resource "lkps_agent_registration" "prod_us" {
  provider = lkps.prod_us

  agent_client_id                = var.agent_client_ids.prod
  agent_client_secret_wo         = var.agent_client_secrets.prod
  agent_client_secret_wo_version = 1
  depends_on                     = [module.prod]
}

output "livekit_urls" {
  description = "The LiveKit URL LKPS returned on each route."
  value = {
    "nonprod/eu" = module.nonprod.livekit_url
    "nonprod/us" = lkps_agent_registration.nonprod_us.livekit_url
    "prod/eu"    = module.prod.livekit_url
    "prod/us"    = lkps_agent_registration.prod_us.livekit_url
  }
}

output "client_verdicts" {
  description = "Whether LKPS would start a session for each client, per environment."
  value       = { nonprod = module.nonprod.client_verdicts, prod = module.prod.client_verdicts }
}
