package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

const (
	// msiAPIVersion is the IMDS token API version go-azure-sdk uses for custom endpoints.
	msiAPIVersion = "2018-02-01"
	// msiRefreshMargin is how long before expiry a cached token is replaced.
	msiRefreshMargin = 5 * time.Minute
)

// msiEndpointCredential gets tokens from a custom managed identity endpoint (msi_endpoint) speaking the
// IMDS protocol: GET <endpoint>?api-version=2018-02-01&resource=<resource>[&client_id=<id>] with the header
// "Metadata: true", answered by {"access_token": ..., "expires_in"|"expires_on": ...}. Tokens are cached
// per resource until shortly before they expire.
type msiEndpointCredential struct {
	pipeline runtime.Pipeline
	endpoint string
	clientID string
	now      func() time.Time

	mu    sync.Mutex
	cache map[string]azcore.AccessToken
}

func newMSIEndpointCredential(pl runtime.Pipeline, endpoint, clientID string) *msiEndpointCredential {
	return &msiEndpointCredential{pipeline: pl, endpoint: endpoint, clientID: clientID, now: time.Now, cache: map[string]azcore.AccessToken{}}
}

// GetToken returns a cached token for the scope's resource or requests a new one from the endpoint.
func (c *msiEndpointCredential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if len(opts.Scopes) != 1 {
		return azcore.AccessToken{}, fmt.Errorf("managed identity needs exactly one scope, got %d", len(opts.Scopes))
	}
	// Managed identity endpoints take a v1 resource, not a v2 scope.
	resource := strings.TrimSuffix(opts.Scopes[0], "/.default")

	c.mu.Lock()
	defer c.mu.Unlock()
	if tok, ok := c.cache[resource]; ok && c.now().Add(msiRefreshMargin).Before(tok.ExpiresOn) {
		return tok, nil
	}
	tok, err := c.request(ctx, resource)
	if err != nil {
		return azcore.AccessToken{}, err
	}
	c.cache[resource] = tok
	return tok, nil
}

func (c *msiEndpointCredential) request(ctx context.Context, resource string) (azcore.AccessToken, error) {
	where := redactURL(c.endpoint)
	u, err := url.Parse(c.endpoint)
	if err != nil {
		return azcore.AccessToken{}, configErr(setMSIEndpoint, nil, "%s is not a valid URL", setMSIEndpoint)
	}
	q := u.Query()
	if q.Get("api-version") == "" {
		q.Set("api-version", msiAPIVersion)
	}
	q.Set("resource", resource)
	if c.clientID != "" {
		q.Set("client_id", c.clientID)
	}
	u.RawQuery = q.Encode()
	req, err := runtime.NewRequest(ctx, http.MethodGet, u.String())
	if err != nil {
		return azcore.AccessToken{}, fmt.Errorf("preparing the managed identity token request to %s: %w", where, err)
	}
	req.Raw().Header.Set("Metadata", "true")
	req.Raw().Header.Set("Accept", "application/json")
	resp, err := c.pipeline.Do(req)
	if err != nil {
		return azcore.AccessToken{}, fmt.Errorf("requesting a managed identity token from %s: %w", where, err)
	}
	defer resp.Body.Close()
	body, err := runtime.Payload(resp)
	if err != nil {
		return azcore.AccessToken{}, fmt.Errorf("reading the managed identity token response from %s: %w", where, err)
	}
	var answer struct {
		AccessToken      string    `json:"access_token"`
		ExpiresIn        flexInt64 `json:"expires_in"`
		ExpiresOn        flexInt64 `json:"expires_on"`
		Error            string    `json:"error"`
		ErrorDescription string    `json:"error_description"`
	}
	decodeErr := json.Unmarshal(body, &answer)
	if resp.StatusCode != http.StatusOK {
		detail := ""
		if decodeErr == nil && answer.Error != "" {
			detail = fmt.Sprintf(": %s: %s", answer.Error, answer.ErrorDescription)
		}
		return azcore.AccessToken{}, fmt.Errorf("the managed identity endpoint %s answered HTTP %d%s", where, resp.StatusCode, detail)
	}
	if decodeErr != nil {
		return azcore.AccessToken{}, fmt.Errorf("decoding the managed identity token response from %s: %w", where, decodeErr)
	}
	if answer.AccessToken == "" {
		return azcore.AccessToken{}, fmt.Errorf("the managed identity token response from %s has no access_token", where)
	}
	var expires time.Time
	switch {
	case answer.ExpiresOn > 0:
		expires = time.Unix(int64(answer.ExpiresOn), 0)
	case answer.ExpiresIn > 0:
		expires = c.now().Add(time.Duration(answer.ExpiresIn) * time.Second)
	default:
		return azcore.AccessToken{}, fmt.Errorf("the managed identity token response from %s has neither expires_on nor expires_in", where)
	}
	return azcore.AccessToken{Token: answer.AccessToken, ExpiresOn: expires}, nil
}

// flexInt64 decodes a JSON number or a string holding one; IMDS sends strings, other endpoints numbers.
type flexInt64 int64

// UnmarshalJSON accepts 3600, "3600" and null.
func (f *flexInt64) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		b = []byte(s)
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		var num float64
		if ferr := json.Unmarshal(b, &num); ferr != nil {
			return errors.New("not a number")
		}
		n = int64(num)
	}
	*f = flexInt64(n)
	return nil
}
