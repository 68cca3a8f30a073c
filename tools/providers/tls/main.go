// Command pulumi-resource-tls bridges the TLS Terraform provider
// (hashicorp/terraform-provider-tls, plugin framework) to the Pulumi engine,
// with the tokens of the @pulumi/tls npm package. See internal/bridged for its
// two modes.
package main

import (
	pfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"

	"socle.local/tools/providers/internal/bridged"

	"github.com/hashicorp/terraform-provider-tls/shim"
)

// version is set at build time to the @pulumi/tls version the program uses.
var version = "0.0.0-dev"

func info(metadata []byte) tfbridge.ProviderInfo {
	prov := tfbridge.ProviderInfo{
		P:            pfbridge.ShimProvider(shim.NewProvider()),
		Name:         "tls",
		MetadataInfo: tfbridge.NewProviderMetadata(metadata),
	}
	prov.MustComputeTokens(tokens.SingleModule("tls_", "index", tokens.MakeStandard("tls")))
	return prov
}

func main() { bridged.Main("tls", version, bridged.Framework, info) }
