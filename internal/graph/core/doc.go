// Package core holds the Graph engine's decisions, with no goroutines, no clock, no I/O and no locks:
// time and what Graph answered come in as values, and a decision goes out (what to wait, whether to
// retry, whether a read may serve, whether a write was overwritten). The driver (package graph) does
// the HTTP, the timers and the goroutines and asks this package what to do. DESIGN.md's Graph section
// lists each rule with the file and function that implement it; each has a row in this package's
// table tests.
package core
