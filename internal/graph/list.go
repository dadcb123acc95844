package graph

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/bayer/terraform-provider-lkps/internal/auth"
	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// The read-only listing calls of `terraform query`: nothing is written and a listing is a snapshot
// by nature, so they bypass the per-application workers.

// OwnedApplications lists the applications the client's identity owns (core.OwnedPath), with the
// properties the provider reads.
func (c *Client) OwnedApplications(ctx context.Context) ([]model.Application, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	// The token is read, not verified (it is our own, fresh from the token service), and never logged.
	tok, err := c.bearer(ctx)
	if err != nil {
		return nil, err
	}
	path, err := ownedPath(tok)
	if err != nil {
		return nil, err
	}
	var out []model.Application
	next := path + query("", selectFields...)
	for page := 0; next != "" && page < core.MaxListPages; page++ {
		var objs []*model.Object
		u := next // a next link off the Graph host is refused by do, like any URL there
		err = c.retry(ctx, callPolicy{what: "GET " + path}, func(ctx context.Context) (err error) {
			objs, next, err = c.list(ctx, u)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("listing applications (GET %s): %w", path, err)
		}
		for _, o := range objs {
			if o != nil {
				out = append(out, model.FromObject(o).Application())
			}
		}
	}
	return out, nil
}

// ApplicationDisplayName returns the display name of the application with the client ID appID, or ""
// when the identity cannot see it (a filtered list has no entry where a GET would answer 403 or 404).
func (c *Client) ApplicationDisplayName(ctx context.Context, appID string) (string, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	var apps []*model.Object
	err := c.retry(ctx, callPolicy{what: "GET /applications?$filter=appId"}, func(ctx context.Context) (err error) {
		apps, _, err = c.list(ctx, "/applications"+query(core.Filter("appId", appID), "id", "appId", "displayName"))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("looking up the display name of application %s: %w", appID, err)
	}
	for _, a := range apps {
		if a != nil && strings.EqualFold(a.AppID, appID) {
			return a.DisplayName, nil
		}
	}
	return "", nil
}

// ownedPath is core.OwnedPath of the identity the token is issued to: its oid claim, lower-case, and
// whether it is app-only (idtyp "app", or no scp claim).
func ownedPath(token string) (string, error) {
	claims, err := auth.UnverifiedClaims(token)
	if err != nil {
		return "", fmt.Errorf("reading the Microsoft Graph access token, to know which identity owns the applications: %w", err)
	}
	if claims.ObjectID == "" {
		return "", errors.New("the Microsoft Graph access token has no oid claim, so the identity that owns the applications is unknown")
	}
	return core.OwnedPath(strings.ToLower(claims.ObjectID), claims.AppOnly()), nil
}
