package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// testAccProtoV6ProviderFactories runs the provider in-process for acceptance tests.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"lkps": providerserver.NewProtocol6WithError(New("test", "test")()),
}

// testAccProtoV6ProviderFactoriesWithoutEnv runs the provider with an empty environment, for tests of
// its defaults: the ARM_* and LKPS_* variables of a live-mode run (or of a developer's shell) would
// change what they test.
var testAccProtoV6ProviderFactoriesWithoutEnv = map[string]func() (tfprotov6.ProviderServer, error){
	"lkps": providerserver.NewProtocol6WithError(&lkpsProvider{version: "test", commit: "test", getenv: func(string) string { return "" }}),
}

// parallelTestWithoutEnv runs steps, in parallel with other tests, with the provider in an empty
// environment (testAccProtoV6ProviderFactoriesWithoutEnv).
func parallelTestWithoutEnv(t *testing.T, steps ...resource.TestStep) {
	t.Helper()
	resource.ParallelTest(t, resource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactoriesWithoutEnv, Steps: steps})
}

// Without usable credentials the data sources still work (see the environment data source tests), and
// a resource that needs Microsoft Graph says which settings are missing.
func TestAccProvider_credentialErrorsReachOnlyResources(t *testing.T) {
	parallelTestWithoutEnv(t, resource.TestStep{
		Config: `
provider "lkps" {
  use_cli = false
}
data "lkps_environment" "current" {}
resource "lkps_agent_client_scope" "x" {
  agent_client_id = "11111111-1111-1111-1111-111111111111"
}`,
		ExpectError: regexp.MustCompile(`(?s)No usable credentials for Microsoft Graph.*use_cli.*ARM_USE_CLI.*client_secret`),
	})
}

// Every client the provider builds (azidentity, Graph, LKPS) gets this User-Agent; each API package
// tests that it reaches the server.
func TestUserAgentNamesProviderAndTerraform(t *testing.T) {
	got := userAgent("1.2.3", "1.11.4")
	want := "terraform-provider-lkps/1.2.3 (+https://registry.terraform.io/providers/bayer/lkps) Terraform/1.11.4"
	if got != want {
		t.Fatalf("userAgent = %q, want %q", got, want)
	}
	if got := userAgent("dev", ""); got != "terraform-provider-lkps/dev (+https://registry.terraform.io/providers/bayer/lkps) Terraform/unknown" {
		t.Fatalf("userAgent without a Terraform version = %q", got)
	}
}
