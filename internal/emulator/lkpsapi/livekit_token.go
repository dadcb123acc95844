package lkpsapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

// liveKitAPIKey is the "iss" of the emulator's LiveKit tokens, standing in for the LiveKit API key.
const liveKitAPIKey = "APIlkpsemulator"

// liveKitGrant is the "video" grant of a LiveKit access token (https://docs.livekit.io/home/get-started/authentication/).
type liveKitGrant struct {
	Room         string `json:"room,omitempty"`
	RoomJoin     bool   `json:"roomJoin,omitempty"`
	RoomAdmin    bool   `json:"roomAdmin,omitempty"`
	CanPublish   bool   `json:"canPublish,omitempty"`
	CanSubscribe bool   `json:"canSubscribe,omitempty"`
	Agent        bool   `json:"agent,omitempty"`
}

// liveKitToken issues a LiveKit-style access token (HS256 JWT) for identity with grant, valid for the
// configured session token lifetime, and returns it with its expiry.
func (s *Service) liveKitToken(identity string, route environments.Entry, grant liveKitGrant) (string, time.Time, error) {
	now := s.now().UTC().Truncate(time.Second)
	exp := now.Add(s.lifetime)
	header, err := json.Marshal(map[string]string{"alg": "HS256", "typ": "JWT"})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("encoding LiveKit token header: %w", err)
	}
	claims, err := json.Marshal(struct {
		Iss      string       `json:"iss"`
		Sub      string       `json:"sub"`
		Aud      string       `json:"aud"`
		Nbf      int64        `json:"nbf"`
		Exp      int64        `json:"exp"`
		Jti      string       `json:"jti"`
		Video    liveKitGrant `json:"video"`
		Metadata string       `json:"metadata,omitempty"`
	}{
		Iss: liveKitAPIKey, Sub: identity, Aud: route.LiveKitURL, Nbf: now.Unix(), Exp: exp.Unix(), Jti: randomHex(12),
		Video: grant, Metadata: route.Key(),
	})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("encoding LiveKit token claims: %w", err)
	}
	input := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(claims)
	mac := hmac.New(sha256.New, s.liveKitSecret)
	mac.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)), exp, nil
}
