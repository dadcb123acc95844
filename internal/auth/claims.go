package auth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Claims are the claims of an Entra ID access token that tell whom it was issued to and for what.
type Claims struct {
	// AppID is the client the token was issued to: "appid" in v1 tokens, "azp" in v2 tokens.
	AppID string
	// ObjectID is "oid", the object ID of the subject (the service principal for app-only tokens).
	ObjectID string
	// Audience is "aud", the resource the token is for (the first entry if it is a list).
	Audience string
	// TenantID is "tid", the tenant that issued the token.
	TenantID string
	// Expiry is "exp"; the zero time if the token has none.
	Expiry time.Time
	// IDType is "idtyp" ("app" or "user"), when the token carries it.
	IDType string
	// Scopes is "scp", the delegated permissions of a signed-in user's token; empty for app-only tokens.
	Scopes string
	// Roles is "roles", the application permissions (app roles) of an app-only token.
	Roles []string
}

// AppOnly reports whether the token was issued to an application acting as itself (a service principal
// or managed identity) rather than to a signed-in user: idtyp "app", or, without idtyp, no scp claim.
func (c Claims) AppOnly() bool {
	return strings.EqualFold(c.IDType, "app") || (c.IDType == "" && c.Scopes == "")
}

// UnverifiedClaims decodes an access token's JWT payload without verifying its signature, to check that a
// token was issued to the expected application. Never use it to make a trust decision about a token from
// someone else. Errors describe the token's shape and never contain the token.
func UnverifiedClaims(accessToken string) (Claims, error) {
	parts := strings.Split(strings.TrimSpace(accessToken), ".")
	if len(parts) != 3 {
		return Claims{}, fmt.Errorf("the access token is not a JWT: it has %d dot-separated parts, want 3", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return Claims{}, errors.New("the access token's payload is not base64url")
	}
	var raw struct {
		AppID    string          `json:"appid"`
		AZP      string          `json:"azp"`
		OID      string          `json:"oid"`
		Audience json.RawMessage `json:"aud"`
		TID      string          `json:"tid"`
		Exp      *json.Number    `json:"exp"`
		IDTyp    string          `json:"idtyp"`
		SCP      string          `json:"scp"`
		Roles    []string        `json:"roles"`
	}
	if err := json.Unmarshal(payload, &raw); err != nil {
		return Claims{}, errors.New("the access token's payload is not a JSON object of the expected claims")
	}
	c := Claims{AppID: raw.AppID, ObjectID: raw.OID, TenantID: raw.TID, IDType: raw.IDTyp, Scopes: raw.SCP, Roles: raw.Roles}
	if c.AppID == "" {
		c.AppID = raw.AZP
	}
	if len(raw.Audience) > 0 {
		var single string
		if err := json.Unmarshal(raw.Audience, &single); err == nil {
			c.Audience = single
		} else {
			var list []string
			if err := json.Unmarshal(raw.Audience, &list); err != nil {
				return Claims{}, errors.New("the access token's aud claim is neither a string nor a list of strings")
			}
			if len(list) > 0 {
				c.Audience = list[0]
			}
		}
	}
	if raw.Exp != nil {
		secs, err := raw.Exp.Float64()
		if err != nil {
			return Claims{}, errors.New("the access token's exp claim is not a number")
		}
		c.Expiry = time.Unix(int64(secs), 0).UTC()
	}
	return c, nil
}
