// Package model is the pure part of the Graph layer: an application as read (State), the facts a
// write wants Graph to show (Intent), the read-modify-write steps that edit a State while keeping
// every entry they do not own exactly as read, and Graph's JSON in and the PATCH body out. It
// does no I/O and knows nothing of time, retries or other writers; the engine (package graph) runs
// its steps on reads inside group-commit rounds.
package model
