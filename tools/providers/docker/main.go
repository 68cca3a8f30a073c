// Command pulumi-resource-docker bridges the Docker Terraform provider
// (kreuzwerker/terraform-provider-docker) to the Pulumi engine, with the
// resource tokens and property names of the @pulumi/docker npm package for the
// resources Socle declares (Container, Network, Volume, RemoteImage, and the
// provider itself). See internal/bridged for its two modes.
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"

	"socle.local/tools/providers/internal/bridged"

	"github.com/terraform-providers/terraform-provider-docker/shim"
)

// version is set at build time to the @pulumi/docker version the program uses.
var version = "0.0.0-dev"

func info(metadata []byte) tfbridge.ProviderInfo {
	prov := tfbridge.ProviderInfo{
		P:    shimv2.NewProvider(shim.NewProvider()),
		Name: "docker",
		Config: map[string]*tfbridge.SchemaInfo{
			"host":          {Default: &tfbridge.DefaultInfo{EnvVars: []string{"DOCKER_HOST"}, Value: "unix:///var/run/docker.sock"}},
			"registry_auth": {Name: "registryAuth", MaxItemsOne: tfbridge.False()},
		},
		Resources: map[string]*tfbridge.ResourceInfo{
			"docker_container": {
				Tok:                 "docker:index/container:Container",
				DeleteBeforeReplace: true,
				Fields: map[string]*tfbridge.SchemaInfo{
					// A list, but one command: not pluralised, as in @pulumi/docker.
					"command":           {Name: "command"},
					"networks_advanced": {Name: "networksAdvanced"},
				},
			},
			"docker_image":   {Tok: "docker:index/remoteImage:RemoteImage", Fields: map[string]*tfbridge.SchemaInfo{"name": {Name: "name"}}},
			"docker_network": {Tok: "docker:index/network:Network"},
			"docker_volume":  {Tok: "docker:index/volume:Volume"},
		},
		MetadataInfo: tfbridge.NewProviderMetadata(metadata),
	}
	prov.MustComputeTokens(tokens.SingleModule("docker_", "index", tokens.MakeStandard("docker")))
	prov.SetAutonaming(255, "-")
	return prov
}

func main() { bridged.Main("docker", version, bridged.SDKv2, info) }
