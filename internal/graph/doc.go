// Package graph edits Microsoft Graph application registrations (identifier URIs, scopes and
// pre-authorized clients) without losing an update to whole-list PATCHes, lag or throttling. It is the
// driver (HTTP, timers, goroutines, locks) around the decisions of package core; DESIGN.md ("The Graph
// layer never loses an update") names each rule with the file and function that implement it.
package graph
