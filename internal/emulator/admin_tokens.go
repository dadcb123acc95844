package emulator

import (
	"fmt"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/entra"
)

// MintToken issues an access token for an application of the directory. audience is the resource
// (e.g. "https://graph.microsoft.com" or an LKPS audience); lifetime 0 means the configured lifetime and
// a negative lifetime an already expired token.
func (a *Admin) MintToken(appID, audience string, lifetime time.Duration) (string, error) {
	tok, err := a.s.entra.Mint(appID, audience, lifetime)
	if err != nil {
		return "", fmt.Errorf("mint token: %w", err)
	}
	return tok, nil
}

// AzureCLIAppID is the application ID of the Azure CLI, the client of the user tokens MintUserToken issues.
const AzureCLIAppID = entra.AzureCLIAppID

// UserToken describes a delegated (signed-in user) access token, as the Azure CLI obtains one.
type UserToken = entra.UserToken

// MintUserToken issues a delegated access token for a user signed in through the Azure CLI: it carries
// scp (so Graph treats it as acting for the user), no roles, and the user's directory roles in wids.
func (a *Admin) MintUserToken(u UserToken) (string, error) {
	tok, err := a.s.entra.MintUser(u)
	if err != nil {
		return "", fmt.Errorf("mint user token: %w", err)
	}
	return tok, nil
}
