// Package shim exposes the Docker Terraform provider's SDKv2 provider, which
// lives in an internal package, to the bridge. scripts/toolchain.sh copies it
// into a local copy of the provider module (the module cache is read-only),
// where Go lets it import `internal/provider`.
package shim

import (
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"

	"github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

// NewProvider returns the provider's SDKv2 schema.Provider.
func NewProvider() *schema.Provider { return provider.New("dev")() }
