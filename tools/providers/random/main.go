// Command pulumi-resource-random bridges the Random Terraform provider
// (hashicorp/terraform-provider-random, plugin framework) to the Pulumi
// engine, with the tokens of the @pulumi/random npm package. See
// internal/bridged for its two modes.
package main

import (
	pfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"

	"socle.local/tools/providers/internal/bridged"

	"github.com/terraform-providers/terraform-provider-random/shim"
)

// version is set at build time to the @pulumi/random version the program uses.
var version = "0.0.0-dev"

func info(metadata []byte) tfbridge.ProviderInfo {
	prov := tfbridge.ProviderInfo{
		P:            pfbridge.ShimProvider(shim.NewProvider()),
		Name:         "random",
		MetadataInfo: tfbridge.NewProviderMetadata(metadata),
	}
	// @pulumi/random keeps the prefix: random_password is RandomPassword.
	prov.MustComputeTokens(tokens.SingleModule("", "index", tokens.MakeStandard("random")))
	return prov
}

func main() { bridged.Main("random", version, bridged.Framework, info) }
