// Command terraform-provider-lkps is the Terraform provider for Bayer's LiveKit Platform Service (LKPS):
// it exposes an agent's API on its Entra ID app registration, pre-authorizes client applications and
// registers the agent with LKPS.
package main

import (
	"context"
	"flag"
	"log"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/bayer/terraform-provider-lkps/internal/provider"
)

// Documentation and example formatting. The generator is pinned and run with `go run`, so its
// dependencies stay out of this module's go.mod.
//go:generate terraform fmt -recursive ./examples/
//go:generate go run github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs@v0.25.0 generate --provider-name lkps
//go:generate go run ./internal/docscontents/cmd docs

var (
	// version is set by goreleaser at release time.
	version = "dev"
	// commit is set by goreleaser at release time.
	commit = "none"
)

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "set to true to run the provider with support for debuggers like delve")
	flag.Parse()
	if !debug {
		if err := provider.SilenceDiscardedLogs(os.Getenv, os.Setenv); err != nil {
			log.Fatal(err.Error())
		}
	}

	err := providerserver.Serve(context.Background(), provider.New(version, commit), providerserver.ServeOpts{
		Address: provider.RegistryAddress,
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}
