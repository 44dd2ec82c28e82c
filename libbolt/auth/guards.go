package auth

import (
	"encoding/json"
	"fmt"
	"slices"
)

// guard decides one condition; it is only called with an identity (a missing identity
// is a 401 before any guard that needs one runs).
type guard struct {
	needsAuth bool // fails with 401 when nobody is authenticated
	allow     func(id *Identity) bool
}

var errNoPerms = "%s needs at least one permission"

func compileGuard(c GuardConfig) (guard, error) {
	switch c.Type {
	case "allow_any":
		return guard{allow: func(*Identity) bool { return true }}, nil
	case "is_authenticated":
		return guard{needsAuth: true, allow: func(*Identity) bool { return true }}, nil
	case "is_admin_user":
		return guard{needsAuth: true, allow: func(id *Identity) bool { return id.IsSuperuser }}, nil
	case "is_staff":
		return guard{needsAuth: true, allow: func(id *Identity) bool { return id.IsStaff || id.IsSuperuser }}, nil
	case "has_permission", "has_any_permission", "has_all_permissions":
		perms := slices.Clone(c.Permissions)
		if len(perms) == 0 {
			return guard{}, fmt.Errorf(errNoPerms, c.Type)
		}
		if c.Type == "has_any_permission" {
			return guard{needsAuth: true, allow: func(id *Identity) bool {
				return slices.ContainsFunc(perms, id.HasPermission)
			}}, nil
		}
		return guard{needsAuth: true, allow: func(id *Identity) bool {
			for _, p := range perms {
				if !id.HasPermission(p) {
					return false
				}
			}
			return true
		}}, nil
	case "requires":
		return compileRequires(c)
	}
	return guard{}, fmt.Errorf("unknown guard type %q", c.Type)
}

// compileRequires builds Requires(claim, *values, all_of=...): a scalar claim matches by
// equality, a list claim by membership; no values means "present and not null".
func compileRequires(c GuardConfig) (guard, error) {
	if c.Claim == "" {
		return guard{}, fmt.Errorf("requires guard needs a claim name")
	}
	want := make([]string, len(c.Values))
	for i, v := range c.Values {
		want[i] = scalarKey(v)
		if want[i] == "" {
			return guard{}, fmt.Errorf("requires(%q): value %v must be a string, number or boolean", c.Claim, v)
		}
	}
	claim, all := c.Claim, c.MatchAll
	return guard{needsAuth: true, allow: func(id *Identity) bool {
		v, ok := claimValue(id, claim)
		if !ok || v == nil {
			return false
		}
		if len(want) == 0 {
			return true
		}
		have := map[string]bool{}
		if list, isList := v.([]any); isList {
			for _, x := range list {
				have[scalarKey(x)] = true
			}
		} else {
			have[scalarKey(v)] = true
		}
		for _, w := range want {
			if have[w] != all {
				return !all
			}
		}
		return all
	}}, nil
}

// claimValue reads a claim; "permissions" is the unified set, so API keys' permissions
// count too.
func claimValue(id *Identity, claim string) (any, bool) {
	if claim == "permissions" {
		out := make([]any, len(id.Permissions))
		for i, p := range id.Permissions {
			out[i] = p
		}
		return out, true
	}
	v, ok := id.claims[claim]
	return v, ok
}

// scalarKey gives JSON scalars one comparable form (1 and 1.0 are equal; "1" is not 1).
func scalarKey(v any) string {
	switch x := v.(type) {
	case string:
		return "s" + x
	case bool:
		if x {
			return "btrue"
		}
		return "bfalse"
	case float64:
		return fmt.Sprintf("n%g", x)
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return "n" + x.String()
		}
		return fmt.Sprintf("n%g", f)
	}
	return ""
}
