data "lkps_environments" "all" {}

# Every Ocelot route page, to request access for an application in each environment and region.
output "ocelot_routes" {
  value = { for e in data.lkps_environments.all.environments : e.id => e.ocelot_route_url }
}
