package core

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// What the client's reads request: the read batcher's rules (DESIGN.md, "Reads of different
// applications share requests"), the filters and collections of lists, the one host.

// Bounds of the batched reads and of lists.
const (
	MaxListBatch     = 15          // IDs one filtered list names: Graph accepts at most 15 values in an "in" clause
	ReadStallAfter   = time.Second // how long a request in flight holds the reads queued behind it
	MaxListOmissions = 5           // objects lists may leave out that a GET then finds, before the client stops listing
	MaxListPages     = 200         // pages of a collection followed (Graph pages of 100 by default)
)

// Queued is one read waiting in a batcher's queue: ID names the object (lower case); Presence marks
// a presence lookup (not being listed is its answer); At is when it joined; W is the driver's waiter.
type Queued[W any] struct {
	ID       string
	Presence bool
	At       time.Time
	W        W
}

// LingerFor returns how much longer a sender waits at now for more reads before sending q: while q
// holds only presence lookups, naming fewer than MaxListBatch objects, until the oldest waited window.
func LingerFor[W any](q []Queued[W], now time.Time, window time.Duration) time.Duration {
	named, presenceOnly := make(map[string]bool), true
	for _, r := range q {
		presenceOnly = presenceOnly && r.Presence
		named[r.ID] = true
	}
	if len(q) == 0 || !presenceOnly || len(named) >= MaxListBatch {
		return 0
	}
	return window - now.Sub(q[0].At)
}

// Take splits q for the next request: batch, naming ids (at most MaxListBatch objects, in queue order;
// another read of one joins at no cost), and rest; reads whose caller gave up (gone) are dropped.
func Take[W any](q []Queued[W], gone func(W) bool) (batch, rest []Queued[W], ids []string) {
	for _, r := range q {
		switch {
		case gone(r.W): // dropped
		case slices.Contains(ids, r.ID):
			batch = append(batch, r)
		case len(ids) < MaxListBatch:
			ids = append(ids, r.ID)
			batch = append(batch, r)
		default:
			rest = append(rest, r)
		}
	}
	return batch, rest, ids
}

// ListRefusal says what Graph's refusal of a filtered list (status) means: alone, each read of its
// batch is sent as its own GET (a 400 or a 403); off, lists are turned off for the client (a 403).
func ListRefusal(status int) (alone, off bool) { return status == 400 || status == 403, status == 403 }

// Host returns the host and port of base, the Graph endpoint, which must be an absolute https URL:
// the only ones the client sends its token to.
func Host(base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("parsing base URL %q: %w", base, err)
	}
	if u.Scheme != "https" || u.Hostname() == "" {
		return "", fmt.Errorf("base URL %q must be an absolute https URL", base)
	}
	return u.Host, nil
}

// OwnedPath is the collection of the applications an identity owns: an app-only identity's (a service
// principal's) under its object ID, which Graph allows with Application.Read.All or Directory.Read.All;
// a signed-in user's (the Azure CLI) under /me, which needs no directory role.
func OwnedPath(objectID string, appOnly bool) string {
	if appOnly {
		return "/servicePrincipals/" + url.PathEscape(objectID) + "/ownedObjects/microsoft.graph.application"
	}
	return "/me/ownedObjects/microsoft.graph.application"
}

// Filter is an OData $filter naming objects by prop: "prop eq 'v'" for one value, "prop in ('v',…)"
// for several, each value quoted as an OData string literal.
func Filter(prop string, values ...string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
	}
	if len(values) == 1 {
		return prop + " eq " + quoted[0]
	}
	return prop + " in (" + strings.Join(quoted, ",") + ")"
}
