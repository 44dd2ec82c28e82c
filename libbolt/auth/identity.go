package auth

import (
	jsoniter "github.com/json-iterator/go"
)

// Identity is what a backend established about the caller.
type Identity struct {
	UserID      string // "" when the credential names no user (an API key)
	Backend     string // "jwt" or "api_key"
	IsStaff     bool
	IsSuperuser bool
	Permissions []string
	claims      map[string]any // validated JWT claims, for Requires guards
	rawClaims   []byte         // the token's payload JSON, passed to Python as is
	jti         string         // the token's id, checked against revocations on every use
}

func identityFromClaims(claims map[string]any, raw []byte) *Identity {
	id := &Identity{Backend: "jwt", claims: claims, rawClaims: raw}
	id.UserID, _ = userID(claims["sub"])
	id.IsStaff, _ = claims["is_staff"].(bool)
	id.IsSuperuser, _ = claims["is_superuser"].(bool)
	if perms, ok := claims["permissions"].([]any); ok {
		for _, p := range perms {
			if s, ok := p.(string); ok {
				id.Permissions = append(id.Permissions, s)
			}
		}
	}
	return id
}

// HasPermission follows Django's User.has_perm: a superuser has every permission.
func (id *Identity) HasPermission(perm string) bool {
	if id.IsSuperuser {
		return true
	}
	for _, p := range id.Permissions {
		if p == perm {
			return true
		}
	}
	return false
}

// AppendContext appends the JSON that Python reads as request.context; the key names are
// django-bolt's (user_id, is_staff, is_superuser, auth_backend, permissions, auth_claims).
func (id *Identity) AppendContext(dst []byte) []byte {
	dst = append(dst, `{"user_id":`...)
	if id.UserID == "" {
		dst = append(dst, "null"...)
	} else {
		dst = appendString(dst, id.UserID)
	}
	dst = append(dst, `,"auth_backend":`...)
	dst = appendString(dst, id.Backend)
	dst = append(dst, `,"is_staff":`...)
	dst = appendBool(dst, id.IsStaff)
	dst = append(dst, `,"is_superuser":`...)
	dst = appendBool(dst, id.IsSuperuser)
	dst = append(dst, `,"permissions":[`...)
	for i, p := range id.Permissions {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, p)
	}
	dst = append(dst, ']')
	if id.rawClaims != nil {
		dst = append(dst, `,"auth_claims":`...)
		dst = append(dst, id.rawClaims...)
	}
	return append(dst, '}')
}

// appendString writes s as a JSON string. Ids and permission names are plain ASCII, so
// they are copied as they are; anything else goes through the JSON encoder.
func appendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			b, _ := jsoniter.ConfigCompatibleWithStandardLibrary.Marshal(s)
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

func appendBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}
