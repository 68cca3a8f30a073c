package schema

// Added by scripts/toolchain.sh to a local copy of the bridge's SDKv2 fork:
// terraform-plugin-go v0.31 (which the Docker provider requires) added
// GenerateResourceConfig to tfprotov5.ProviderServer after the fork was cut.
// It serves Terraform's `-generate-config-out`, which the Pulumi bridge never
// calls; the method only makes the fork satisfy the interface again.

import (
	"context"

	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
)

// GenerateResourceConfig is not supported: it answers with an error diagnostic.
func (s *GRPCProviderServer) GenerateResourceConfig(_ context.Context, _ *tfprotov5.GenerateResourceConfigRequest) (*tfprotov5.GenerateResourceConfigResponse, error) {
	return &tfprotov5.GenerateResourceConfigResponse{Diagnostics: []*tfprotov5.Diagnostic{{
		Severity: tfprotov5.DiagnosticSeverityError,
		Summary:  "GenerateResourceConfig is not supported by this provider build",
	}}}, nil
}
