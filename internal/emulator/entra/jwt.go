package entra

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// jwt is a compact JWS (RFC 7515) split into its parts. The token service only needs RS256 and PS256, so
// this small implementation replaces a JWT library and keeps every validation rule visible in this package.
type jwt struct {
	header       map[string]any
	claims       map[string]any
	signingInput string
	signature    []byte
}

// errMalformed reports a token that is not a well-formed compact JWS with JSON header and claims.
var errMalformed = errors.New("token is not a well-formed JWT")

// signJWT serialises header and claims and signs them with RS256.
func signJWT(key *rsa.PrivateKey, header map[string]any, claims any) (string, error) {
	h := make(map[string]any, len(header)+2)
	for k, v := range header {
		h[k] = v
	}
	h["alg"] = "RS256"
	h["typ"] = "JWT"
	hb, err := json.Marshal(h)
	if err != nil {
		return "", fmt.Errorf("encoding JWT header: %w", err)
	}
	cb, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encoding JWT claims: %w", err)
	}
	input := base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(cb)
	digest := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("signing JWT: %w", err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// parseJWT splits and decodes raw without verifying anything but its syntax.
func parseJWT(raw string) (*jwt, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: expected 3 dot-separated parts, got %d", errMalformed, len(parts))
	}
	header, err := decodeJSONPart(parts[0])
	if err != nil {
		return nil, fmt.Errorf("%w: header: %w", errMalformed, err)
	}
	claims, err := decodeJSONPart(parts[1])
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %w", errMalformed, err)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, fmt.Errorf("%w: signature: %w", errMalformed, err)
	}
	return &jwt{header: header, claims: claims, signingInput: parts[0] + "." + parts[1], signature: sig}, nil
}

func decodeJSONPart(part string) (map[string]any, error) {
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return nil, fmt.Errorf("invalid base64url: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if m == nil {
		return nil, errors.New("not a JSON object")
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON object")
	}
	return m, nil
}

// verify checks the signature with pub. Only RS256 and PS256 are accepted: "none" and HMAC algorithms
// are refused, so a token cannot choose a weaker check than the key calls for.
func (t *jwt) verify(pub *rsa.PublicKey) error {
	digest := sha256.Sum256([]byte(t.signingInput))
	switch alg := t.headerString("alg"); alg {
	case "RS256":
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], t.signature); err != nil {
			return fmt.Errorf("RS256 signature does not verify: %w", err)
		}
	case "PS256":
		if err := rsa.VerifyPSS(pub, crypto.SHA256, digest[:], t.signature, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}); err != nil {
			return fmt.Errorf("PS256 signature does not verify: %w", err)
		}
	default:
		return fmt.Errorf("unsupported signing algorithm %q", alg)
	}
	return nil
}

func (t *jwt) headerString(name string) string {
	s, _ := t.header[name].(string)
	return s
}

func (t *jwt) claimString(name string) string {
	s, _ := t.claims[name].(string)
	return s
}

// claimStrings returns a claim that may be a string or an array of strings (as "aud" and "roles" are).
func (t *jwt) claimStrings(name string) []string {
	switch v := t.claims[name].(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	default:
		return nil
	}
}

// claimTime returns a NumericDate claim; ok is false when it is absent or not a number.
func (t *jwt) claimTime(name string) (time.Time, bool) {
	n, ok := t.claims[name].(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
}

// decodeThumbprint decodes an x5t or x5t#S256 header value. RFC 7515 says base64url, but MSAL writes
// standard base64, so every base64 alphabet and padding variant is accepted.
func decodeThumbprint(s string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.StdEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}
