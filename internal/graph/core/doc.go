// Package core holds the Graph engine's decisions, with no goroutines, no clock, no I/O and no locks:
// time and Graph's answers come in as values, a decision goes out. DESIGN.md's Graph section lists each
// rule with the file and function that implement it; each has a row in this package's table tests.
package core
