// Command terraform-provider-lkps is the Terraform provider for Bayer's LiveKit Platform Service (LKPS):
// it exposes an agent's API on its Entra ID app registration, pre-authorizes client applications and
// registers the agent with LKPS.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"runtime/debug"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/bayer/terraform-provider-lkps/internal/provider"
)

// Documentation and example formatting. The generator is pinned and run with `go run`, so its
// dependencies stay out of this module's go.mod.
//go:generate terraform fmt -recursive ./examples/
//go:generate go run github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs@v0.25.0 generate --provider-name lkps
//go:generate go run ./internal/docscontents/cmd docs

var (
	// version is set at build time (-X main.version): goreleaser gives the release's version, make build
	// and make install the one .ci/version computes from git (a tag's, or a pre-release unique to the
	// commit). A plain `go build` leaves "dev", completed from the build's VCS stamp by buildVersion.
	version = "dev"
	// commit is set at build time with version.
	commit = "none"
)

// buildVersion returns the version and commit the provider reports: the ones set at build time, or for a
// plain `go build` of a checkout "0.0.0-dev+<commit>" (".dirty" when the tree had changes), so that no
// two builds of different code claim one release version.
func buildVersion() (string, string) {
	if version != "dev" {
		return version, commit
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return version, commit
	}
	var rev string
	var modified bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" {
		return version, commit
	}
	v := "0.0.0-dev+" + rev[:min(12, len(rev))]
	if modified {
		v += ".dirty"
	}
	return v, rev
}

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "set to true to run the provider with support for debuggers like delve")
	flag.Parse()
	if !debug {
		if err := provider.SilenceDiscardedLogs(os.Getenv, os.Setenv); err != nil {
			log.Fatal(err.Error())
		}
	}

	v, c := buildVersion()
	err := providerserver.Serve(context.Background(), provider.New(v, c), providerserver.ServeOpts{
		Address: provider.RegistryAddress,
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}
