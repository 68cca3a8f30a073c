package main

import (
	"context"
	"strconv"
)

// props is a resource's inputs or state in plain Go form (what
// resource.PropertyMap.Mappable gives: string, bool, float64, []any, map[string]any).
type props = map[string]any

// kind is one resource type of the provider.
type kind struct {
	// inputs: every input property the type accepts, with its default (nil: no default).
	inputs props
	// required: inputs that must be set.
	required []string
	// replaces: inputs whose change replaces the object.
	replaces []string
	// computed: outputs the API assigns (unknown during a preview of a create).
	computed []string
	create   func(ctx context.Context, api *adminAPI, in props) (id string, out props, err error)
	// read returns the object's current state, or errNotFound when it is gone.
	read   func(ctx context.Context, api *adminAPI, id string, state props) (props, error)
	update func(ctx context.Context, api *adminAPI, id string, olds, news props) (props, error)
	delete func(ctx context.Context, api *adminAPI, id string, state props) error
}

// invoke is one data source (function) of the provider.
type invoke func(ctx context.Context, api *adminAPI, args props) (props, error)

func str(p props, k string) string {
	switch v := p[k].(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

func boolean(p props, k string) bool {
	switch v := p[k].(type) {
	case bool:
		return v
	case string:
		b, _ := strconv.ParseBool(v)
		return b
	}
	return false
}

func strs(p props, k string) []string {
	var out []string
	if list, ok := p[k].([]any); ok {
		for _, v := range list {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

func anyList(ss []string) []any {
	out := make([]any, 0, len(ss))
	for _, s := range ss {
		out = append(out, s)
	}
	return out
}

// merge returns a copy of base with extra's entries added (extra wins).
func merge(base props, extra props) props {
	out := props{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// onlyInputs keeps the input properties of a state.
func (k kind) onlyInputs(state props) props {
	out := props{}
	for name := range k.inputs {
		if v, ok := state[name]; ok {
			out[name] = v
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
