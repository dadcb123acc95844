// Package contracttest holds the emulator's contract tests: real clients that nobody here wrote
// (msgraph-sdk-go over kiota with an azidentity credential) driven against a running emulator, so that a
// green run shows the emulator speaks the wire format those clients expect.
//
// The tests live in their own package because msgraph-sdk-go's models are expensive to compile; the
// emulator's own unit tests stay fast.
package contracttest
