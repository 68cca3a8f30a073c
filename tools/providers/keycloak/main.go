// Command pulumi-resource-keycloak is Socle's own Keycloak resource plugin: the
// resources and functions of the @pulumi/keycloak npm package that Socle's
// program uses, with that package's tokens and property names, implemented
// over Keycloak's admin REST API. (The bridged provider and the Terraform
// provider it wraps cannot be fetched here; see README, "The Pulumi engine
// without internet".) Any other resource type or property is refused by
// Check with its name, never silently ignored.
package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pulumi/pulumi/pkg/v3/resource/provider"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// version is set at build time to the @pulumi/keycloak version the program uses.
var version = "0.0.0-dev"

var kinds = map[string]kind{
	"keycloak:index/realm:Realm":                                                  realmKind(),
	"keycloak:index/group:Group":                                                  groupKind(),
	"keycloak:index/groupRoles:GroupRoles":                                        groupRolesKind(),
	"keycloak:index/role:Role":                                                    roleKind(),
	"keycloak:openid/client:Client":                                               clientKind(),
	"keycloak:openid/clientServiceAccountRole:ClientServiceAccountRole":           clientServiceAccountRoleKind(),
	"keycloak:openid/groupMembershipProtocolMapper:GroupMembershipProtocolMapper": groupMembershipMapper.kind(),
	"keycloak:openid/userClientRoleProtocolMapper:UserClientRoleProtocolMapper":   userClientRoleMapper.kind(),
}

var invokes = map[string]invoke{
	"keycloak:index/getRole:getRole":      getRole,
	"keycloak:openid/getClient:getClient": getClient,
}

type server struct {
	pulumirpc.UnimplementedResourceProviderServer
	api *adminAPI
	// pending says why api is nil: the configuration is not known yet (a preview).
	pending string
}

func main() {
	err := provider.Main("keycloak", func(*provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return &server{pending: "the provider is not configured"}, nil
	})
	if err != nil {
		cmdutil.ExitError(err.Error())
	}
}

var opts = plugin.MarshalOptions{KeepUnknowns: true, SkipNulls: true}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	return plugin.UnmarshalProperties(s, opts)
}

func marshal(p props) (*structpb.Struct, error) {
	return marshalMap(resource.NewPropertyMapFromMap(p))
}

func marshalMap(pm resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(pm, opts)
}

func (s *server) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (s *server) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: fmt.Sprintf(`{"name":"keycloak","version":%q}`, version)}, nil
}

func (s *server) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (s *server) DiffConfig(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	if diffs := changedKeys(olds, news, nil); len(diffs) > 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_SOME, Diffs: diffs}, nil
	}
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

// Configure reads the provider's inputs (url, realm, clientId, username,
// password or clientSecret, tlsInsecureSkipVerify, rootCaCertificate,
// clientTimeout). Unknown values (a preview before the admin password
// exists) leave the provider unconfigured: previews of creates need no API.
func (s *server) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	cfg, err := unmarshal(req.GetArgs())
	if err != nil {
		return nil, err
	}
	get := func(k string) string {
		if v, ok := cfg[resource.PropertyKey(k)]; ok && v.IsString() {
			return v.StringValue()
		}
		if v, ok := cfg[resource.PropertyKey(k)]; ok && v.IsBool() {
			return strconv.FormatBool(v.BoolValue())
		}
		if v, ok := cfg[resource.PropertyKey(k)]; ok && v.IsNumber() {
			return strconv.FormatFloat(v.NumberValue(), 'f', -1, 64)
		}
		return req.GetVariables()["keycloak:config:"+k]
	}
	resp := &pulumirpc.ConfigureResponse{SupportsPreview: true}
	if cfg.ContainsUnknowns() {
		s.api, s.pending = nil, "its configuration (url, password) is not known yet"
		return resp, nil
	}
	timeout := 5 * time.Second
	if t, err := strconv.ParseFloat(strings.Trim(get("clientTimeout"), `"`), 64); err == nil && t > 0 {
		timeout = time.Duration(t * float64(time.Second))
	}
	insecure, _ := strconv.ParseBool(strings.Trim(get("tlsInsecureSkipVerify"), `"`))
	api, err := newAdminAPI(apiConfig{
		url: get("url"), realm: orDefault(get("realm"), "master"), clientID: get("clientId"),
		clientSecret: get("clientSecret"), username: get("username"), password: get("password"),
		rootCA: get("rootCaCertificate"), insecure: insecure, timeout: timeout,
	})
	if err != nil {
		return nil, fmt.Errorf("keycloak provider: %w", err)
	}
	s.api, s.pending = api, ""
	return resp, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// ready returns the API client, or an error saying why there is none.
func (s *server) ready(what string) (*adminAPI, error) {
	if s.api == nil {
		return nil, fmt.Errorf("keycloak provider: cannot %s: %s", what, s.pending)
	}
	return s.api, nil
}

func (s *server) Invoke(ctx context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	fn, ok := invokes[req.GetTok()]
	if !ok {
		return nil, fmt.Errorf("keycloak provider: function %s is not implemented by Socle's keycloak provider", req.GetTok())
	}
	api, err := s.ready("call " + req.GetTok())
	if err != nil {
		return nil, err
	}
	args, err := unmarshal(req.GetArgs())
	if err != nil {
		return nil, err
	}
	out, err := fn(ctx, api, args.Mappable())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", req.GetTok(), err)
	}
	ret, err := marshal(out)
	return &pulumirpc.InvokeResponse{Return: ret}, err
}
