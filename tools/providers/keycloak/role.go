package main

import (
	"context"
)

// rolesPath: a realm's roles, or a client's (clientId is the client's UUID).
func rolesPath(realm, client string) string {
	if client != "" {
		return "/" + seg(realm) + "/clients/" + seg(client) + "/roles"
	}
	return "/" + seg(realm) + "/roles"
}

// roleKind is keycloak:index/role:Role (a realm role, or a client role when
// clientId is set); its id is the role's UUID.
func roleKind() kind {
	return kind{
		inputs:   props{"realmId": nil, "clientId": nil, "name": nil, "description": nil},
		required: []string{"realmId", "name"},
		replaces: []string{"realmId", "clientId"},
		create: func(ctx context.Context, api *adminAPI, in props) (string, props, error) {
			p := rolesPath(str(in, "realmId"), str(in, "clientId"))
			rep := map[string]any{"name": str(in, "name"), "description": str(in, "description")}
			if _, err := api.call(ctx, "POST", p, rep, nil); err != nil {
				return "", nil, err
			}
			var got map[string]any
			if _, err := api.call(ctx, "GET", p+"/"+seg(str(in, "name")), nil, &got); err != nil {
				return "", nil, err
			}
			return str(got, "id"), in, nil
		},
		read: func(ctx context.Context, api *adminAPI, id string, state props) (props, error) {
			var got map[string]any
			if _, err := api.call(ctx, "GET", "/"+seg(str(state, "realmId"))+"/roles-by-id/"+seg(id), nil, &got); err != nil {
				return nil, err
			}
			out := merge(state, props{"name": got["name"]})
			if _, tracked := state["description"]; tracked {
				out["description"] = got["description"]
			}
			return out, nil
		},
		update: func(ctx context.Context, api *adminAPI, id string, _, news props) (props, error) {
			rep := map[string]any{"name": str(news, "name"), "description": str(news, "description")}
			_, err := api.call(ctx, "PUT", "/"+seg(str(news, "realmId"))+"/roles-by-id/"+seg(id), rep, nil)
			return news, err
		},
		delete: func(ctx context.Context, api *adminAPI, id string, state props) error {
			_, err := api.call(ctx, "DELETE", "/"+seg(str(state, "realmId"))+"/roles-by-id/"+seg(id), nil, nil)
			return ignoreGone(err)
		},
	}
}

// getRole is keycloak:index/getRole:getRole: a realm or client role by name.
func getRole(ctx context.Context, api *adminAPI, args props) (props, error) {
	var got map[string]any
	p := rolesPath(str(args, "realmId"), str(args, "clientId")) + "/" + seg(str(args, "name"))
	if _, err := api.call(ctx, "GET", p, nil, &got); err != nil {
		return nil, err
	}
	return props{
		"id": got["id"], "realmId": str(args, "realmId"), "clientId": str(args, "clientId"),
		"name": got["name"], "description": str(got, "description"),
	}, nil
}
