package graph

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"
)

// MaxVisibilityBatch is how many client IDs one filtered lookup names: Graph accepts at most 15 values
// in an "in" clause of $filter.
const MaxVisibilityBatch = 15

// visibilityBatcher collects concurrent ClientVisible lookups into one filtered request per batch.
// Its zero value is ready to use.
type visibilityBatcher struct {
	mu      sync.Mutex
	pending *visibilityBatch // collecting; nil when none is
}

// visibilityBatch is one filtered lookup: the distinct client IDs (lower case) and their waiters.
type visibilityBatch struct {
	ids     []string            // distinct lower-case client IDs, in arrival order
	byID    map[string]struct{} // the same, as a set
	ctx     context.Context     // the first caller's values, without its cancellation
	done    chan struct{}       // closed when visible and errs are final
	visible map[string]bool     // lower-case client ID → found
	errs    map[string]error    // lower-case client ID → lookup failure
}

// ClientVisible reports whether an application or a service principal with the client ID appID is
// visible to the identity in the tenant. Pre-authorizing an application that is neither is allowed (it may
// live in another tenant and not be consented here yet), so callers only warn. Other failures (403,
// throttling after retries) are returned.
//
// Concurrent calls share requests: the calls made within Config.VisibilityWindow of each other (up to
// MaxVisibilityBatch client IDs) are answered by one GET /applications?$filter=appId in (…) and, for
// the IDs it did not return, one GET /servicePrincipals?$filter=appId in (…). A filtered list answers
// an absent client with no entry rather than a 404, so nothing is retried for it.
func (c *Client) ClientVisible(ctx context.Context, appID string) (bool, error) {
	key := strings.ToLower(strings.TrimSpace(appID))
	b := c.visibility.join(ctx, c, key)
	select {
	case <-b.done:
		if err := b.errs[key]; err != nil {
			return false, err
		}
		return b.visible[key], nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// join adds key to the batch being collected, starting one (and its window) when none is, and sends
// the batch at once when it is full.
func (v *visibilityBatcher) join(ctx context.Context, c *Client, key string) *visibilityBatch {
	v.mu.Lock()
	defer v.mu.Unlock()
	b := v.pending
	if b == nil {
		b = &visibilityBatch{
			byID: make(map[string]struct{}),
			ctx:  context.WithoutCancel(ctx),
			done: make(chan struct{}),
		}
		v.pending = b
		time.AfterFunc(c.cfg.VisibilityWindow, func() { v.send(c, b) })
	}
	if _, ok := b.byID[key]; !ok {
		b.byID[key] = struct{}{}
		b.ids = append(b.ids, key)
	}
	if len(b.ids) >= MaxVisibilityBatch {
		v.pending = nil
		go c.lookUpVisibility(b)
	}
	return b
}

// send sends b when its window ends, unless it was sent already because it was full.
func (v *visibilityBatcher) send(c *Client, b *visibilityBatch) {
	v.mu.Lock()
	if v.pending != b {
		v.mu.Unlock()
		return
	}
	v.pending = nil
	v.mu.Unlock()
	c.lookUpVisibility(b)
}

// lookUpVisibility answers a batch: one filtered list of applications, then one of service principals
// for the IDs not found. A failed list fails the IDs it was for; IDs already found stay found.
func (c *Client) lookUpVisibility(b *visibilityBatch) {
	defer close(b.done)
	ctx, cancel := c.withTimeout(b.ctx)
	defer cancel()
	b.visible = make(map[string]bool, len(b.ids))
	b.errs = make(map[string]error)

	apps, err := c.filterApplications(ctx, "GET /applications?$filter=appId in", appIDInFilter(b.ids), []string{"id", "appId"})
	for _, a := range apps {
		b.markVisible(deref(a.GetAppId()))
	}
	if err != nil {
		b.fail(b.ids, err)
		return
	}

	var missing []string
	for _, id := range b.ids {
		if !b.visible[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return
	}
	filter := appIDInFilter(missing)
	err = c.retry(ctx, callPolicy{what: "GET /servicePrincipals?$filter=appId in"}, func(ctx context.Context) error {
		resp, err := serviceprincipals.NewServicePrincipalsRequestBuilderInternal(map[string]string{}, c.adapter).Get(ctx,
			&serviceprincipals.ServicePrincipalsRequestBuilderGetRequestConfiguration{
				QueryParameters: &serviceprincipals.ServicePrincipalsRequestBuilderGetQueryParameters{
					Filter: &filter, Select: []string{"id", "appId"},
				},
			})
		if err != nil {
			return err
		}
		for _, sp := range resp.GetValue() {
			if sp != nil {
				b.markVisible(deref(sp.GetAppId()))
			}
		}
		return nil
	})
	if err != nil {
		b.fail(missing, err)
	}
}

// markVisible records an appId Graph returned, if the batch asked for it (IDs compare case-insensitively).
func (b *visibilityBatch) markVisible(appID string) {
	key := strings.ToLower(appID)
	if _, ok := b.byID[key]; ok {
		b.visible[key] = true
	}
}

func (b *visibilityBatch) fail(ids []string, err error) {
	for _, id := range ids {
		b.errs[id] = err
	}
}

// appIDInFilter is the $filter naming the client IDs (at most MaxVisibilityBatch), as OData literals.
func appIDInFilter(ids []string) string { return inFilter("appId", ids) }

// inFilter is the $filter "<prop> in (…)" of the values (at most MaxVisibilityBatch), as OData literals.
func inFilter(prop string, ids []string) string {
	quoted := make([]string, len(ids))
	for i, id := range ids {
		quoted[i] = "'" + strings.ReplaceAll(id, "'", "''") + "'"
	}
	return prop + " in (" + strings.Join(quoted, ",") + ")"
}
