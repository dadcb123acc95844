package graph

import (
	"context"
	"errors"

	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipalswithappid"
)

// ClientVisible reports whether an application or a service principal with the client ID appID is
// visible to the identity in the tenant. Pre-authorizing an application that is neither is allowed (it may
// live in another tenant and not be consented here yet), so callers only warn. A 404 is an answer here,
// not a replica that lags: it is not retried. Other failures (403, throttling after retries) are returned.
func (c *Client) ClientVisible(ctx context.Context, appID string) (bool, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	err := c.retry(ctx, callPolicy{what: "GET /applications(appId)"}, func(ctx context.Context) error {
		_, err := c.getByAppID(ctx, appID)
		return err
	})
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return false, err
	}
	err = c.retry(ctx, callPolicy{what: "GET /servicePrincipals(appId)"}, func(ctx context.Context) error {
		_, err := serviceprincipalswithappid.NewServicePrincipalsWithAppIdRequestBuilderInternal(map[string]string{}, c.adapter, &appID).
			Get(ctx, &serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilderGetRequestConfiguration{
				QueryParameters: &serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilderGetQueryParameters{Select: []string{"id", "appId"}},
			})
		return err
	})
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrNotFound):
		return false, nil
	default:
		return false, err
	}
}
