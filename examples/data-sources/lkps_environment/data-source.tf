# The provider's environment and region (no credentials needed).
data "lkps_environment" "current" {}

# Any other entry of the table.
data "lkps_environment" "prod_us" {
  environment = "prod"
  region      = "us"
}

output "register_url" {
  value = "${data.lkps_environment.current.lkps_base_url}/api/agent/register"
}

output "request_ocelot_access_at" {
  value = data.lkps_environment.current.ocelot_route_url
}
