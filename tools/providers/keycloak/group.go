package main

import (
	"context"
	"errors"
	"fmt"
)

// groupKind is keycloak:index/group:Group; its id is the group's UUID.
func groupKind() kind {
	return kind{
		inputs:   props{"realmId": nil, "name": nil, "parentId": nil},
		required: []string{"realmId", "name"},
		replaces: []string{"realmId", "parentId"},
		computed: []string{"path"},
		create: func(ctx context.Context, api *adminAPI, in props) (string, props, error) {
			p := "/" + seg(str(in, "realmId")) + "/groups"
			if parent := str(in, "parentId"); parent != "" {
				p += "/" + seg(parent) + "/children"
			}
			id, err := api.call(ctx, "POST", p, map[string]any{"name": str(in, "name")}, nil)
			if err != nil {
				return "", nil, err
			}
			out, err := readGroup(ctx, api, str(in, "realmId"), id, in)
			return id, out, err
		},
		read: func(ctx context.Context, api *adminAPI, id string, state props) (props, error) {
			return readGroup(ctx, api, str(state, "realmId"), id, state)
		},
		update: func(ctx context.Context, api *adminAPI, id string, _, news props) (props, error) {
			p := "/" + seg(str(news, "realmId")) + "/groups/" + seg(id)
			if _, err := api.call(ctx, "PUT", p, map[string]any{"name": str(news, "name")}, nil); err != nil {
				return nil, err
			}
			return readGroup(ctx, api, str(news, "realmId"), id, news)
		},
		delete: func(ctx context.Context, api *adminAPI, id string, state props) error {
			_, err := api.call(ctx, "DELETE", "/"+seg(str(state, "realmId"))+"/groups/"+seg(id), nil, nil)
			return ignoreGone(err)
		},
	}
}

func readGroup(ctx context.Context, api *adminAPI, realm, id string, base props) (props, error) {
	var got map[string]any
	if _, err := api.call(ctx, "GET", "/"+seg(realm)+"/groups/"+seg(id), nil, &got); err != nil {
		return nil, err
	}
	out := props{"realmId": realm, "name": got["name"], "path": got["path"]}
	if parent, ok := got["parentId"].(string); ok && parent != "" {
		out["parentId"] = parent
	} else if v, ok := base["parentId"]; ok {
		out["parentId"] = v
	}
	return out, nil
}

func ignoreGone(err error) error {
	if errors.Is(err, errNotFound) {
		return nil
	}
	return err
}

// groupRolesKind is keycloak:index/groupRoles:GroupRoles: the role mappings
// of a group (realm and client roles, by id). exhaustive (default true): the
// group holds exactly roleIds; otherwise only roleIds are added and removed.
// Its id is `<realmId>/<groupId>`.
func groupRolesKind() kind {
	return kind{
		inputs:   props{"realmId": nil, "groupId": nil, "roleIds": nil, "exhaustive": true},
		required: []string{"realmId", "groupId", "roleIds"},
		replaces: []string{"realmId", "groupId"},
		create: func(ctx context.Context, api *adminAPI, in props) (string, props, error) {
			err := syncGroupRoles(ctx, api, in, nil)
			return str(in, "realmId") + "/" + str(in, "groupId"), in, err
		},
		read: func(ctx context.Context, api *adminAPI, _ string, state props) (props, error) {
			current, err := groupRoleMappings(ctx, api, str(state, "realmId"), str(state, "groupId"))
			if err != nil {
				return nil, err
			}
			var held []string
			for id := range current {
				if boolean(state, "exhaustive") || contains(strs(state, "roleIds"), id) {
					held = append(held, id)
				}
			}
			return merge(state, props{"roleIds": anyList(sortedKeepOrder(strs(state, "roleIds"), held))}), nil
		},
		update: func(ctx context.Context, api *adminAPI, _ string, olds, news props) (props, error) {
			return news, syncGroupRoles(ctx, api, news, strs(olds, "roleIds"))
		},
		delete: func(ctx context.Context, api *adminAPI, _ string, state props) error {
			current, err := groupRoleMappings(ctx, api, str(state, "realmId"), str(state, "groupId"))
			if errors.Is(err, errNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			var drop []map[string]any
			for _, id := range strs(state, "roleIds") {
				if rep, held := current[id]; held {
					drop = append(drop, rep)
				}
			}
			return groupRoleChange(ctx, api, "DELETE", str(state, "realmId"), str(state, "groupId"), drop)
		},
	}
}

// syncGroupRoles adds the missing roles and removes the surplus ones
// (every other role when exhaustive, else those of previous no longer wanted).
func syncGroupRoles(ctx context.Context, api *adminAPI, in props, previous []string) error {
	realm, group, want := str(in, "realmId"), str(in, "groupId"), strs(in, "roleIds")
	current, err := groupRoleMappings(ctx, api, realm, group)
	if err != nil {
		return err
	}
	var add, drop []map[string]any
	for _, id := range want {
		if _, held := current[id]; held {
			continue
		}
		var rep map[string]any
		if _, err := api.call(ctx, "GET", "/"+seg(realm)+"/roles-by-id/"+seg(id), nil, &rep); err != nil {
			return fmt.Errorf("role %s of group %s: %w", id, group, err)
		}
		add = append(add, rep)
	}
	for id, rep := range current {
		if !contains(want, id) && (boolean(in, "exhaustive") || contains(previous, id)) {
			drop = append(drop, rep)
		}
	}
	if err := groupRoleChange(ctx, api, "POST", realm, group, add); err != nil {
		return err
	}
	return groupRoleChange(ctx, api, "DELETE", realm, group, drop)
}

// groupRoleMappings: the group's roles, by id (realm and client roles).
func groupRoleMappings(ctx context.Context, api *adminAPI, realm, group string) (map[string]map[string]any, error) {
	var got struct {
		RealmMappings  []map[string]any `json:"realmMappings"`
		ClientMappings map[string]struct {
			Mappings []map[string]any `json:"mappings"`
		} `json:"clientMappings"`
	}
	if _, err := api.call(ctx, "GET", "/"+seg(realm)+"/groups/"+seg(group)+"/role-mappings", nil, &got); err != nil {
		return nil, err
	}
	out := map[string]map[string]any{}
	for _, r := range got.RealmMappings {
		out[fmt.Sprint(r["id"])] = r
	}
	for _, c := range got.ClientMappings {
		for _, r := range c.Mappings {
			out[fmt.Sprint(r["id"])] = r
		}
	}
	return out, nil
}

// groupRoleChange POSTs or DELETEs role representations, split between the
// realm's roles and each client's (containerId) as the API wants them.
func groupRoleChange(ctx context.Context, api *adminAPI, method, realm, group string, reps []map[string]any) error {
	byTarget := map[string][]map[string]any{}
	for _, rep := range reps {
		target := "realm"
		if boolean(rep, "clientRole") {
			target = "clients/" + seg(str(rep, "containerId"))
		}
		byTarget[target] = append(byTarget[target], rep)
	}
	for target, list := range byTarget {
		p := "/" + seg(realm) + "/groups/" + seg(group) + "/role-mappings/" + target
		if _, err := api.call(ctx, method, p, list, nil); err != nil {
			return err
		}
	}
	return nil
}

// sortedKeepOrder returns held ordered as in declared first, then the rest.
func sortedKeepOrder(declared, held []string) []string {
	var out []string
	for _, id := range declared {
		if contains(held, id) {
			out = append(out, id)
		}
	}
	for _, id := range held {
		if !contains(declared, id) {
			out = append(out, id)
		}
	}
	return out
}
