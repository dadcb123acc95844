// Package graph edits Microsoft Graph application registrations (identifier URIs, the delegated
// permission scopes of the exposed API and its pre-authorized client applications) without ever
// losing an update. Graph replaces a whole list property on PATCH, is eventually consistent, and
// throttles; the package hides that behind intent-level operations on plain Go structs:
//
//   - Every operation is a read-modify-write of the full list that keeps every entry it does not own
//     exactly as read, including properties this package does not model (package model).
//   - Operations on one application run on a per-application worker that groups every queued
//     mutation into one GET, one PATCH of only the changed collections and one confirmation
//     (group commit), so ten sibling Terraform resources applied at once cost about one round trip.
//   - The callers are answered once Graph accepts the PATCH; the worker then reads until the batch's
//     intents (model.Intent) are visible, whatever else other writers changed, and applies an intent
//     another writer overwrote again, a bounded number of times (confirm.go). It remembers what it
//     confirmed, so a read from a stale replica is retried instead of reported as "gone".
//   - A scope is disabled only when Graph demands it (removal, value or type change), and
//     pre-authorizations that reference a scope are cleared before the scope is removed.
//   - Retries (replication lag, 409 bursts, throttling, 5xx) follow one policy, bounded by the
//     caller's context deadline; failures surface as typed errors.
//
// The package never imports Terraform packages; internal/provider maps its results to diagnostics.
package graph
