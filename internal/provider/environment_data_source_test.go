package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

// Every combination of the table, checked against the documented values through Terraform.
func TestAccEnvironmentDataSource_allCombinations(t *testing.T) {
	for _, e := range environments.All() {
		t.Run(e.Key(), func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config: fmt.Sprintf(`
data "lkps_environment" "test" {
  environment = %q
  region      = %q
}`, e.Environment, e.Region),
					ConfigStateChecks: []statecheck.StateCheck{
						environmentStateCheck("data.lkps_environment.test", "id", e.Key()),
						environmentStateCheck("data.lkps_environment.test", "lkps_base_url", e.LKPSBaseURL),
						environmentStateCheck("data.lkps_environment.test", "lkps_host", e.LKPSHost),
						environmentStateCheck("data.lkps_environment.test", "lkps_token_scope", e.LKPSScope),
						environmentStateCheck("data.lkps_environment.test", "lkps_audience", e.LKPSAudience),
						environmentStateCheck("data.lkps_environment.test", "livekit_url", e.LiveKitURL),
						environmentStateCheck("data.lkps_environment.test", "tenant_id", environments.BayerTenantID),
						environmentStateCheck("data.lkps_environment.test", "token_endpoint", "https://login.microsoftonline.com/"+environments.BayerTenantID+"/oauth2/v2.0/token"),
						environmentStateCheck("data.lkps_environment.test", "ocelot_route_url", e.OcelotRouteURL),
						environmentStateCheck("data.lkps_environment.test", "ocelot_ui_url", e.OcelotUIURL),
						environmentStateCheck("data.lkps_environment.test", "ocelot_access_url", e.OcelotAccessURL),
						environmentStateCheck("data.lkps_environment.test", "graph_base_url", "https://graph.microsoft.com"),
						environmentStateCheck("data.lkps_environment.test", "authority_host", "https://login.microsoftonline.com"),
					},
				}},
			})
		})
	}
}

// Without arguments the data source follows the provider's environment and region, and it needs no
// credentials: the provider block below has none and use_cli is off.
func TestAccEnvironmentDataSource_providerDefaults(t *testing.T) {
	parallelTestWithoutEnv(t, resource.TestStep{
		Config: `
provider "lkps" {
  environment = "prod"
  region      = "us"
  use_cli     = false
}
data "lkps_environment" "current" {}
data "lkps_environments" "all" {}`,
		ConfigStateChecks: []statecheck.StateCheck{
			environmentStateCheck("data.lkps_environment.current", "environment", "prod"),
			environmentStateCheck("data.lkps_environment.current", "region", "us"),
			environmentStateCheck("data.lkps_environment.current", "lkps_base_url", "https://us-livekit-platform-service.int.bayer.com"),
			statecheck.ExpectKnownValue("data.lkps_environments.all", tfjsonpath.New("environments"), knownvalue.ListSizeExact(4)),
		},
	})
}

func TestAccEnvironmentDataSource_badInput(t *testing.T) {
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      `data "lkps_environment" "x" { environment = "staging" }`,
				ExpectError: regexp.MustCompile(`(?s)Attribute environment value must be one of.*"nonprod".*"prod"`),
			},
			{
				Config:      `data "lkps_environment" "x" { region = "apac" }`,
				ExpectError: regexp.MustCompile(`(?s)Attribute region value must be one of.*"eu".*"us"`),
			},
			{
				Config:      `provider "lkps" { region = "asia" }` + "\n" + `data "lkps_environments" "all" {}`,
				ExpectError: regexp.MustCompile(`(?s)Attribute region value must be one of`),
			},
			{
				Config: `
provider "lkps" {
  environment   = "nonprod"
  lkps_base_url = "https://eu-livekit-platform-service.int.bayer.com"
}
data "lkps_environments" "all" {}`,
				ExpectError: regexp.MustCompile(`(?s)documented URL of prod/eu`),
			},
		},
	})
}

func TestAccEnvironmentsDataSource_table(t *testing.T) {
	checks := []statecheck.StateCheck{
		statecheck.ExpectKnownValue("data.lkps_environments.all", tfjsonpath.New("environments"), knownvalue.ListSizeExact(len(environments.All()))),
	}
	for i, e := range environments.All() {
		checks = append(checks,
			statecheck.ExpectKnownValue("data.lkps_environments.all", tfjsonpath.New("environments").AtSliceIndex(i).AtMapKey("id"), knownvalue.StringExact(e.Key())),
			statecheck.ExpectKnownValue("data.lkps_environments.all", tfjsonpath.New("environments").AtSliceIndex(i).AtMapKey("lkps_base_url"), knownvalue.StringExact(e.LKPSBaseURL)),
			statecheck.ExpectKnownValue("data.lkps_environments.all", tfjsonpath.New("environments").AtSliceIndex(i).AtMapKey("livekit_url"), knownvalue.StringExact(e.LiveKitURL)),
			statecheck.ExpectKnownValue("data.lkps_environments.all", tfjsonpath.New("environments").AtSliceIndex(i).AtMapKey("ocelot_route_url"), knownvalue.StringExact(e.OcelotRouteURL)),
		)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    []resource.TestStep{{Config: `data "lkps_environments" "all" {}`, ConfigStateChecks: checks}},
	})
}

func environmentStateCheck(addr, attr, want string) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(addr, tfjsonpath.New(attr), knownvalue.StringExact(want))
}
