package graph

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/bayer/terraform-provider-lkps/internal/auth"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// This file holds the read-only listing calls that `terraform query` needs. They do not go through
// the per-application workers: nothing is written, and a listing is a snapshot by nature.

// maxListPages bounds how many pages of a collection are followed (Graph pages of 100 by default).
const maxListPages = 200

// OwnedApplications lists the applications the client's identity owns, with the properties the
// provider reads. An app-only identity (a service principal: client secret, certificate, OIDC, managed
// identity) is listed with GET /servicePrincipals/{its object ID}/ownedObjects/microsoft.graph.application,
// which Graph allows with Application.Read.All or Directory.Read.All; a signed-in user (the Azure CLI)
// with GET /me/ownedObjects/microsoft.graph.application, which needs no directory role.
func (c *Client) OwnedApplications(ctx context.Context) ([]Application, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	who, err := c.caller(ctx)
	if err != nil {
		return nil, err
	}
	path := "/me/ownedObjects/microsoft.graph.application"
	if who.appOnly {
		path = "/servicePrincipals/" + url.PathEscape(who.objectID) + "/ownedObjects/microsoft.graph.application"
	}
	return c.listApplications(ctx, path)
}

// ApplicationDisplayName returns the display name of the application with the given client ID, or ""
// when the identity cannot see it (another tenant's multi-tenant app, or no read permission on it):
// a filtered list answers with no entry where a GET would answer 403 or 404.
func (c *Client) ApplicationDisplayName(ctx context.Context, appID string) (string, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	filter := "appId eq '" + strings.ReplaceAll(appID, "'", "''") + "'"
	apps, err := c.filterApplications(ctx, "GET /applications?$filter=appId", filter, []string{"id", "appId", "displayName"})
	var name string
	for _, a := range apps {
		if strings.EqualFold(model.Deref(a.GetAppId()), appID) {
			name = model.Deref(a.GetDisplayName())
		}
	}
	if err != nil {
		return "", fmt.Errorf("looking up the display name of application %s: %w", appID, err)
	}
	return name, nil
}

// filterApplications sends one filtered GET /applications (one page: the filters used here name at
// most MaxVisibilityBatch applications) under the retry policy and returns the applications listed.
func (c *Client) filterApplications(ctx context.Context, what, filter string, sel []string) ([]models.Applicationable, error) {
	var out []models.Applicationable
	err := c.retry(ctx, callPolicy{what: what}, func(ctx context.Context) error {
		var err error
		out, err = c.listFiltered(ctx, filter, sel)
		return err
	})
	return out, err
}

// listFiltered sends one filtered GET /applications, one attempt, and returns the applications
// listed (one page).
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

// listApplications follows the pages of an application collection, with the properties the client
// reads.
func (c *Client) listApplications(ctx context.Context, path string) ([]Application, error) {
	next := c.cfg.BaseURL + "/v1.0" + path + "?" + url.Values{"$select": {strings.Join(selectFields, ",")}}.Encode()
	var out []Application
	for page := 0; next != "" && page < maxListPages; page++ {
		u, err := url.Parse(next)
		if err != nil {
			return nil, fmt.Errorf("listing applications: Graph returned an invalid next link: %w", err)
		}
		// The next link must stay on the configured Graph host: the token is only ever sent there.
		if base, _ := url.Parse(c.cfg.BaseURL); base == nil || !strings.EqualFold(u.Host, base.Host) {
			return nil, fmt.Errorf("listing applications: Graph's next link %q leaves the Graph host %s", u.Redacted(), c.cfg.BaseURL)
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
