package graph

import (
	"context"
	"errors"

	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// ClientVisible reports whether an application or a service principal with the client ID appID is
// visible to the identity in the tenant. Pre-authorizing an application that is neither is allowed (it may
// live in another tenant and not be consented here yet), so callers only warn. Other failures (403,
// throttling after retries) are returned. The lookups are batched reads (batchread.go), which may wait
// core.VisibilityWindow for company: concurrent calls cost one filtered list of applications, then
// of service principals, per core.MaxListBatch IDs. An absent client (404, or not listed) is not visible.
func (c *Client) ClientVisible(ctx context.Context, appID string) (bool, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	if found, err := present(ctx, &c.reads.byAppID, "GET /applications(appId=…)", appID); found || err != nil {
		return found, err
	}
	return present(ctx, &c.reads.spByAppID, "GET /servicePrincipals(appId=…)", appID)
}

// present reports whether b finds the object with the ID, under the retry policy; absence is final.
func present(ctx context.Context, b *readBatcher, what, id string) (bool, error) {
	err := b.c.retry(ctx, callPolicy{what: what}, func(ctx context.Context) error {
		_, err := b.read(ctx, id, true)
		return err
	})
	if errors.Is(err, model.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
