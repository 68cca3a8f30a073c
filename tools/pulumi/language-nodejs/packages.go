package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

type packageJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Pulumi  struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

// resourcePackages lists the resource plugins the program's node_modules ask
// for (package.json `pulumi.resource: true`), top-level and scoped packages,
// one entry per plugin name, as the official host reports them.
func resourcePackages(nodeModules string) ([]*pulumirpc.PackageDependency, error) {
	dirs, err := packageDirs(nodeModules)
	if err != nil {
		return nil, err
	}
	seen := map[string]*pulumirpc.PackageDependency{}
	for _, dir := range dirs {
		info, err := readPackage(filepath.Join(dir, "package.json"))
		if err != nil || !info.Pulumi.Resource {
			continue
		}
		name := info.Pulumi.Name
		if name == "" {
			name = strings.TrimPrefix(info.Name, "@pulumi/")
		}
		version := info.Pulumi.Version
		if version == "" {
			version = info.Version
		}
		if !strings.HasPrefix(version, "v") {
			version = "v" + version
		}
		seen[name] = &pulumirpc.PackageDependency{Kind: "resource", Name: name, Version: version, Server: info.Pulumi.Server}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]*pulumirpc.PackageDependency, 0, len(names))
	for _, n := range names {
		out = append(out, seen[n])
	}
	return out, nil
}

// nodeModulesOf: the node_modules Node would resolve from dir, the nearest
// one in dir or a parent (a program in a subfolder of its project, `main: stacks/`).
func nodeModulesOf(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if info, err := os.Stat(filepath.Join(d, "node_modules")); err == nil && info.IsDir() {
			return filepath.Join(d, "node_modules")
		}
		if filepath.Dir(d) == d {
			return filepath.Join(dir, "node_modules")
		}
	}
}

func packageDirs(nodeModules string) ([]string, error) {
	entries, err := os.ReadDir(nodeModules)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s does not exist: run npm ci first", nodeModules)
	}
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, e := range entries {
		p := filepath.Join(nodeModules, e.Name())
		if !strings.HasPrefix(e.Name(), "@") {
			dirs = append(dirs, p)
			continue
		}
		scoped, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		for _, s := range scoped {
			dirs = append(dirs, filepath.Join(p, s.Name()))
		}
	}
	return dirs, nil
}

func readPackage(path string) (packageJSON, error) {
	var info packageJSON
	b, err := os.ReadFile(path)
	if err != nil {
		return info, err
	}
	return info, json.Unmarshal(b, &info)
}
