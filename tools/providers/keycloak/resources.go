package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
)

func kindOf(urn string) (string, kind, error) {
	tok := string(resource.URN(urn).Type())
	k, ok := kinds[tok]
	if !ok {
		return tok, kind{}, fmt.Errorf("keycloak provider: resource type %s is not implemented by Socle's keycloak provider", tok)
	}
	return tok, k, nil
}

// Check fills the defaults and refuses unknown or missing properties.
func (s *server) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	_, k, err := kindOf(req.GetUrn())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	var failures []*pulumirpc.CheckFailure
	for name := range news {
		if _, ok := k.inputs[string(name)]; !ok && !strings.HasPrefix(string(name), "__") {
			failures = append(failures, &pulumirpc.CheckFailure{
				Property: string(name), Reason: "not supported by Socle's keycloak provider"})
		}
	}
	for name, def := range k.inputs {
		if _, set := news[resource.PropertyKey(name)]; !set && def != nil {
			news[resource.PropertyKey(name)] = resource.NewPropertyValue(def)
		}
	}
	for _, name := range k.required {
		if _, set := news[resource.PropertyKey(name)]; !set {
			failures = append(failures, &pulumirpc.CheckFailure{Property: name, Reason: "required"})
		}
	}
	sort.Slice(failures, func(i, j int) bool { return failures[i].Property < failures[j].Property })
	inputs, err := marshalMap(news)
	return &pulumirpc.CheckResponse{Inputs: inputs, Failures: failures}, err
}

// changedKeys: the keys (restricted to only, when not nil) whose values differ.
func changedKeys(olds, news resource.PropertyMap, only props) []string {
	keys := map[resource.PropertyKey]bool{}
	for k := range olds {
		keys[k] = true
	}
	for k := range news {
		keys[k] = true
	}
	var diffs []string
	for k := range keys {
		if _, tracked := only[string(k)]; only != nil && !tracked {
			continue
		}
		o, n := olds[k], news[k]
		if n.ContainsUnknowns() || !o.DeepEquals(n) {
			diffs = append(diffs, string(k))
		}
	}
	sort.Strings(diffs)
	return diffs
}

// Diff compares the old inputs with the new ones; realm, parent and owner changes replace.
func (s *server) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	_, k, err := kindOf(req.GetUrn())
	if err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	if len(olds) == 0 {
		if olds, err = unmarshal(req.GetOlds()); err != nil {
			return nil, err
		}
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	diffs := changedKeys(olds, news, k.inputs)
	if len(diffs) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	resp := &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_SOME, Diffs: diffs,
		DetailedDiff: map[string]*pulumirpc.PropertyDiff{}, HasDetailedDiff: true}
	for _, d := range diffs {
		pd := &pulumirpc.PropertyDiff{Kind: pulumirpc.PropertyDiff_UPDATE, InputDiff: true}
		if contains(k.replaces, d) {
			resp.Replaces = append(resp.Replaces, d)
			pd.Kind = pulumirpc.PropertyDiff_UPDATE_REPLACE
		}
		resp.DetailedDiff[d] = pd
	}
	// Keycloak refuses two realms with one name: a renamed realm is a new one,
	// but anything else that is replaced must go first when its name is kept.
	resp.DeleteBeforeReplace = len(resp.Replaces) > 0 && !contains(resp.Replaces, "realm")
	return resp, nil
}

func (s *server) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	tok, k, err := kindOf(req.GetUrn())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		for _, c := range k.computed {
			news[resource.PropertyKey(c)] = resource.MakeComputed(resource.NewStringProperty(""))
		}
		out, err := marshalMap(news)
		return &pulumirpc.CreateResponse{Properties: out}, err
	}
	api, err := s.ready("create " + tok)
	if err != nil {
		return nil, err
	}
	id, out, err := k.create(ctx, api, news.Mappable())
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", tok, err)
	}
	ret, err := marshal(out)
	return &pulumirpc.CreateResponse{Id: id, Properties: ret}, err
}

func (s *server) Read(ctx context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	tok, k, err := kindOf(req.GetUrn())
	if err != nil {
		return nil, err
	}
	api, err := s.ready("read " + tok)
	if err != nil {
		return nil, err
	}
	state, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	out, err := k.read(ctx, api, req.GetId(), state.Mappable())
	if errors.Is(err, errNotFound) {
		return &pulumirpc.ReadResponse{}, nil // gone: the engine drops it from the state
	}
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", tok, req.GetId(), err)
	}
	props, err := marshal(out)
	if err != nil {
		return nil, err
	}
	inputs, err := marshal(k.onlyInputs(out))
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: props, Inputs: inputs}, err
}

func (s *server) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	tok, k, err := kindOf(req.GetUrn())
	if err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		for _, c := range k.computed {
			news[resource.PropertyKey(c)] = olds[resource.PropertyKey(c)]
		}
		out, err := marshalMap(news)
		return &pulumirpc.UpdateResponse{Properties: out}, err
	}
	if k.update == nil {
		return nil, fmt.Errorf("update %s: every property of it replaces it", tok)
	}
	api, err := s.ready("update " + tok)
	if err != nil {
		return nil, err
	}
	out, err := k.update(ctx, api, req.GetId(), olds.Mappable(), news.Mappable())
	if err != nil {
		return nil, fmt.Errorf("update %s %s: %w", tok, req.GetId(), err)
	}
	ret, err := marshal(out)
	return &pulumirpc.UpdateResponse{Properties: ret}, err
}

func (s *server) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	tok, k, err := kindOf(req.GetUrn())
	if err != nil {
		return nil, err
	}
	api, err := s.ready("delete " + tok)
	if err != nil {
		return nil, err
	}
	state, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	if err := k.delete(ctx, api, req.GetId(), state.Mappable()); err != nil {
		return nil, fmt.Errorf("delete %s %s: %w", tok, req.GetId(), err)
	}
	return &emptypb.Empty{}, nil
}
