package graph

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/bayer/terraform-provider-lkps/internal/auth"
	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// The read-only listing calls of `terraform query`: nothing is written and a listing is a snapshot
// by nature, so they bypass the per-application workers.

// OwnedApplications lists the applications the client's identity owns (core.OwnedPath), with the
// properties the provider reads.
func (c *Client) OwnedApplications(ctx context.Context) ([]Application, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	who, err := c.caller(ctx)
	if err != nil {
		return nil, err
	}
	path := core.OwnedPath(who.objectID, who.appOnly)
	var out []Application
	next := core.ListURL(c.cfg.BaseURL, path, selectFields)
	for page := 0; next != "" && page < core.MaxListPages; page++ {
		u, err := core.NextPage(c.cfg.BaseURL, next)
		if err != nil {
			return nil, fmt.Errorf("listing applications: %w", err)
		}
		var resp models.ApplicationCollectionResponseable
		err = c.retry(ctx, callPolicy{what: "GET " + path}, func(ctx context.Context) error {
			// The builder for a raw URL sends GET <u> and parses an application collection.
			r, err := applications.NewApplicationsRequestBuilder(u.String(), c.adapter).Get(ctx, nil)
			if err == nil && r == nil {
				err = errors.New("graph answered the list with an empty body")
			}
			resp = r
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("listing applications (GET %s): %w", path, err)
		}
		for _, m := range resp.GetValue() {
			if m != nil {
				out = append(out, model.FromModel(m).Application())
			}
		}
		next = model.Deref(resp.GetOdataNextLink())
	}
	return out, nil
}

// ApplicationDisplayName returns the display name of the application with the given client ID, or ""
// when the identity cannot see it (another tenant's multi-tenant app, or no read permission on it):
// a filtered list answers with no entry where a GET would answer 403 or 404.
func (c *Client) ApplicationDisplayName(ctx context.Context, appID string) (string, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	var apps []models.Applicationable
	err := c.retry(ctx, callPolicy{what: "GET /applications?$filter=appId"}, func(ctx context.Context) error {
		var err error
		apps, err = c.listFiltered(ctx, core.Filter("appId", appID), []string{"id", "appId", "displayName"})
		return err
	})
	if err != nil {
		return "", fmt.Errorf("looking up the display name of application %s: %w", appID, err)
	}
	var name string
	for _, a := range apps {
		if strings.EqualFold(model.Deref(a.GetAppId()), appID) {
			name = model.Deref(a.GetDisplayName())
		}
	}
	return name, nil
}

// listFiltered sends one filtered GET /applications, one attempt, and returns the applications
// listed (one page: the filters name at most core.MaxListBatch applications).
func (c *Client) listFiltered(ctx context.Context, filter string, sel []string) ([]models.Applicationable, error) {
	return pageValues[models.Applicationable](applications.NewApplicationsRequestBuilderInternal(map[string]string{}, c.adapter).Get(ctx,
		&applications.ApplicationsRequestBuilderGetRequestConfiguration{
			QueryParameters: &applications.ApplicationsRequestBuilderGetQueryParameters{Filter: &filter, Select: sel},
		}))
}

// pageValues returns the non-nil values of one page of a collection, or err.
func pageValues[T any](page interface{ GetValue() []T }, err error) ([]T, error) {
	if err != nil {
		return nil, err
	}
	var out []T
	for _, v := range page.GetValue() {
		if any(v) != nil {
			out = append(out, v)
		}
	}
	return out, nil
}

// callerIdentity is who the client's tokens are issued to.
type callerIdentity struct {
	objectID string // the token's oid: the service principal's or the user's object ID
	appOnly  bool   // an app-only token (idtyp "app", or no scp claim)
}

// caller reads the oid and token type from a Graph token of the client's credential. The token is
// not verified (it is our own, fresh from the token service) and never logged.
func (c *Client) caller(ctx context.Context) (callerIdentity, error) {
	tok, err := c.cfg.Credential.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{c.cfg.Scope}})
	if err != nil {
		return callerIdentity{}, fmt.Errorf("getting a token for Microsoft Graph: %w", err)
	}
	return callerFromToken(tok.Token)
}

// callerFromToken reads the claims that tell an app-only token from a user's.
func callerFromToken(token string) (callerIdentity, error) {
	claims, err := auth.UnverifiedClaims(token)
	if err != nil {
		return callerIdentity{}, fmt.Errorf("reading the Microsoft Graph access token, to know which identity owns the applications: %w", err)
	}
	if claims.ObjectID == "" {
		return callerIdentity{}, errors.New("the Microsoft Graph access token has no oid claim, so the identity that owns the applications is unknown")
	}
	return callerIdentity{objectID: strings.ToLower(claims.ObjectID), appOnly: claims.AppOnly()}, nil
}
