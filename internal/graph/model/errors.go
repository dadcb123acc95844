package model

import (
	"errors"
	"fmt"
)

// Sentinel errors of the model's steps; every typed error below matches one of them with errors.Is.
var (
	// ErrScopeNotFound means the application has no permission scope with the given ID.
	ErrScopeNotFound = errors.New("permission scope not found")
	// ErrScopeExists means a permission scope with the same value (or ID) already exists.
	ErrScopeExists = errors.New("permission scope already exists")
	// ErrPreAuthorizationExists means the client application is already pre-authorized for the
	// permission.
	ErrPreAuthorizationExists = errors.New("pre-authorization already exists")
)

// ScopeExistsError says a permission scope with the requested value (or ID) already exists; ID is
// the existing scope's ID, for an import command. It matches ErrScopeExists.
type ScopeExistsError struct {
	// ID is the existing scope's ID.
	ID string
	// Value is the existing scope's value.
	Value string
}

// Error names the existing scope.
func (e *ScopeExistsError) Error() string {
	return fmt.Sprintf("permission scope %q already exists with id %s", e.Value, e.ID)
}

// Is makes errors.Is(err, ErrScopeExists) true.
func (e *ScopeExistsError) Is(target error) bool { return target == ErrScopeExists }

// ScopeNotFoundError says the application has no permission scope with the ID. It matches
// ErrScopeNotFound.
type ScopeNotFoundError struct {
	// ID is the scope ID that was looked for.
	ID string
}

// Error names the missing scope.
func (e *ScopeNotFoundError) Error() string {
	return fmt.Sprintf("permission scope %s not found on the application", e.ID)
}

// Is makes errors.Is(err, ErrScopeNotFound) true.
func (e *ScopeNotFoundError) Is(target error) bool { return target == ErrScopeNotFound }

// PreAuthorizationExistsError says the client is already pre-authorized for the permission. It
// matches ErrPreAuthorizationExists.
type PreAuthorizationExistsError struct {
	// ClientAppID is the client application's appId as stored by Graph.
	ClientAppID string
	// PermissionID is the scope ID.
	PermissionID string
}

// Error names the existing pre-authorization.
func (e *PreAuthorizationExistsError) Error() string {
	return fmt.Sprintf("client application %s is already pre-authorized for permission %s", e.ClientAppID, e.PermissionID)
}

// Is makes errors.Is(err, ErrPreAuthorizationExists) true.
func (e *PreAuthorizationExistsError) Is(target error) bool {
	return target == ErrPreAuthorizationExists
}
