// Package bridged runs one of Socle's bridged resource plugins in either of
// its two modes: `schema --out DIR` generates the package schema and the
// bridge metadata (the bridge's tfgen), and no argument serves the provider
// to the engine, reading those two files from beside the binary
// (`<binary>.schema.json`, `<binary>.metadata.json`), where
// scripts/toolchain.sh puts them.
package bridged

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	pfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	pftfgen "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"
)

// Kind says which half of the bridge the upstream provider needs.
type Kind int

const (
	// SDKv2: a terraform-plugin-sdk/v2 provider.
	SDKv2 Kind = iota
	// Framework: a terraform-plugin-framework provider.
	Framework
)

// Main generates the schema or serves the provider described by info(metadata).
func Main(name, version string, kind Kind, info func(metadata []byte) tfbridge.ProviderInfo) {
	if len(os.Args) > 1 && os.Args[1] == "schema" {
		prov := info([]byte("{}"))
		prov.Version = version
		if kind == Framework {
			pftfgen.Main(name, prov)
		} else {
			tfgen.Main(name, version, prov)
		}
		return
	}
	schema, metadata, err := beside()
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-%s: %v (scripts/toolchain.sh writes it)\n", name, err)
		os.Exit(1)
	}
	prov := info(metadata)
	prov.Version = version
	if kind == Framework {
		pfbridge.Main(context.Background(), name, prov, pfbridge.ProviderMetadata{PackageSchema: schema})
		return
	}
	tfbridge.Main(name, version, prov, schema)
}

func beside() (schema, metadata []byte, err error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	base := filepath.Join(filepath.Dir(exe), filepath.Base(exe))
	if schema, err = os.ReadFile(base + ".schema.json"); err != nil {
		return nil, nil, err
	}
	if metadata, err = os.ReadFile(base + ".metadata.json"); err != nil {
		return nil, nil, err
	}
	return schema, metadata, nil
}
