// Package graph edits Microsoft Graph application registrations (identifier URIs, the delegated
// permission scopes of the exposed API and its pre-authorized client applications) without ever
// losing an update, although Graph replaces a whole list on PATCH, is eventually consistent and
// throttles. It is the driver (HTTP, timers, goroutines, locks) around the engine's decisions in
// package core and the application model in package model; DESIGN.md ("The Graph layer never loses
// an update") names each rule with the file and function that implement it. It never imports
// Terraform packages; internal/provider maps its results to diagnostics.
package graph
