package lkps

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// tokenClaims are the claims the client reads from an Entra access token. They identify applications
// and are not secret; the token itself is never kept.
type tokenClaims struct {
	// AppID is the v1 token's client application id.
	AppID string `json:"appid"`
	// AZP is the v2 token's authorized party (client application id).
	AZP string `json:"azp"`
	// Audience is the token's aud; Entra writes a string, the JWT spec allows a list.
	Audience string `json:"-"`
	// RawAudience receives aud in either form.
	RawAudience json.RawMessage `json:"aud"`
}

// appID returns the v1 appid claim, or the v2 azp claim.
func (c tokenClaims) appID() string {
	if c.AppID != "" {
		return c.AppID
	}
	return c.AZP
}

// errNotJWT is returned for a token that is not a three-part JWT with a JSON payload. It says nothing
// about the token's content.
var errNotJWT = errors.New("the access token is not a JWT with a readable payload")

// decodeClaims reads the payload of a JWT without verifying it; the caller only needs to know which
// application the token it was given belongs to. Errors never include the token.
func decodeClaims(token string) (tokenClaims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return tokenClaims{}, errNotJWT
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return tokenClaims{}, errNotJWT
	}
	var c tokenClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return tokenClaims{}, errNotJWT
	}
	if len(c.RawAudience) > 0 {
		var s string
		var list []string
		switch {
		case json.Unmarshal(c.RawAudience, &s) == nil:
			c.Audience = s
		case json.Unmarshal(c.RawAudience, &list) == nil:
			c.Audience = strings.Join(list, " ")
		}
	}
	return c, nil
}

// TokenAppID acquires the LKPS access token the client would send and returns the client ID of the
// application it belongs to: the v1 "appid" claim or the v2 "azp" claim. The token is decoded without
// verification (Ocelot verifies it) and is neither logged nor returned.
func (c *Client) TokenAppID(ctx context.Context) (string, error) {
	op := operation{name: "read the LKPS token's application"}
	tok, err := c.credential.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{c.scope}})
	if err != nil {
		return "", c.newError(op, KindToken, 0, attemptResult{err: err})
	}
	claims, err := decodeClaims(tok.Token)
	if err != nil {
		return "", fmt.Errorf("%s: %w", op.name, err)
	}
	id := claims.appID()
	if id == "" {
		return "", fmt.Errorf("%s: the access token has neither an appid nor an azp claim", op.name)
	}
	return id, nil
}

// VerifyCaller checks that the LKPS token the client would send belongs to the application whose
// client ID is wantAppID (compared case-insensitively), and otherwise returns an *Error of
// KindWrongIdentity explaining that a registration would be recorded under the wrong application.
// Call it before Register.
func (c *Client) VerifyCaller(ctx context.Context, wantAppID string) error {
	got, err := c.TokenAppID(ctx)
	if err != nil {
		return err
	}
	if strings.EqualFold(got, strings.TrimSpace(wantAppID)) {
		return nil
	}
	e := c.newError(operation{name: "verify the LKPS caller"}, KindWrongIdentity, 0, attemptResult{})
	e.Method, e.URL = "", ""
	e.CallerAppID = got
	e.AgentAppID = wantAppID
	return e
}
