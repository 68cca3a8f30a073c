// Package shim exposes the TLS Terraform provider (plugin framework),
// which lives in an internal package, to the bridge; scripts/toolchain.sh
// copies it into a local copy of the provider module.
package shim

import (
	pfprovider "github.com/hashicorp/terraform-plugin-framework/provider"

	"github.com/hashicorp/terraform-provider-tls/internal/provider"
)

// NewProvider returns the provider.
func NewProvider() pfprovider.Provider { return provider.New() }
