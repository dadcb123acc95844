// Package faults injects the failures Microsoft Graph shows under load and replication: added latency,
// 409 Directory_ConcurrencyViolation bursts, 429 throttling with Retry-After, 503 outages and ambiguous
// writes (a PATCH that Graph commits but answers with 503, 504 or a dropped connection). Replication lag
// and the foreign writer (another client editing applications at a given rate) are configured here too
// but applied by the directory's replica reads and by the emulator's foreign writer.
//
// Every fault is off by default. Probabilistic faults draw from a seeded generator so that a run with the
// same seed and the same request sequence sees the same faults; "next N" counters make a fault certain for
// a fixed number of requests, which is what deterministic tests use.
package faults

import (
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/retryafter"
)

// Config is the complete fault configuration. The zero value injects nothing.
type Config struct {
	// Latency is added to every Graph request before it is handled.
	Latency time.Duration `json:"latency,omitempty"`
	// ReplicaLag is how long after a write a read may be served from a stale replica.
	ReplicaLag time.Duration `json:"replicaLag,omitempty"`
	// StaleReadProbability is the chance (0..1) that a read within ReplicaLag is served stale. When
	// ReplicaLag is set and this is zero, 0.5 is used.
	StaleReadProbability float64 `json:"staleReadProbability,omitempty"`
	// ConflictProbability is the chance (0..1) that a write (PATCH, POST, DELETE) fails with 409
	// Directory_ConcurrencyViolation.
	ConflictProbability float64 `json:"conflictProbability,omitempty"`
	// ConflictNextWrites makes the next N writes fail with 409 Directory_ConcurrencyViolation.
	ConflictNextWrites int `json:"conflictNextWrites,omitempty"`
	// ThrottleProbability is the chance (0..1) that a request fails with 429 TooManyRequests.
	ThrottleProbability float64 `json:"throttleProbability,omitempty"`
	// ThrottleNext makes the next N requests fail with 429 TooManyRequests.
	ThrottleNext int `json:"throttleNext,omitempty"`
	// RetryAfterSeconds is the Retry-After header of a 429; zero means 1.
	RetryAfterSeconds int `json:"retryAfterSeconds,omitempty"`
	// RetryAfterForm is how a 429's Retry-After is written (RFC 9110 §10.2.3 allows two forms; some
	// services send a third): "seconds" (the default, "1"), "decimal" (decimal seconds with half a second
	// added, "1.500", so that a client that truncates or ignores the fraction is caught) or "date" (the
	// HTTP-date RetryAfterSeconds from now).
	RetryAfterForm string `json:"retryAfterForm,omitempty"`
	// UnavailableProbability is the chance (0..1) that a request fails with 503 Service Unavailable.
	UnavailableProbability float64 `json:"unavailableProbability,omitempty"`
	// UnavailableNext makes the next N requests fail with 503 Service Unavailable.
	UnavailableNext int `json:"unavailableNext,omitempty"`
	// AmbiguousWriteProbability is the chance (0..1) that a PATCH is committed but answered with 503,
	// 504 or a dropped connection, as a gateway can do: the client cannot tell whether it took effect.
	AmbiguousWriteProbability float64 `json:"ambiguousWriteProbability,omitempty"`
	// AmbiguousWriteNext makes the next N committed PATCHes ambiguous.
	AmbiguousWriteNext int `json:"ambiguousWriteNext,omitempty"`
	// ForeignWriterRate is how many edits per second another writer makes to the pre-authorized
	// applications of agents (adding and removing entries of its own, read-modify-write of the
	// whole collection like any Graph client); zero disables it.
	ForeignWriterRate float64 `json:"foreignWriterRate,omitempty"`
	// ForeignWriterApp limits the foreign writer to one application (appId or object id); empty
	// means any application with a permission scope.
	ForeignWriterApp string `json:"foreignWriterApp,omitempty"`
	// Seed seeds the generator behind every probability. Setting a configuration restarts the sequence.
	Seed uint64 `json:"seed,omitempty"`
}

// Validate reports a configuration with out-of-range values.
func (c Config) Validate() error {
	var errs []error
	for name, p := range map[string]float64{
		"staleReadProbability":      c.StaleReadProbability,
		"conflictProbability":       c.ConflictProbability,
		"throttleProbability":       c.ThrottleProbability,
		"unavailableProbability":    c.UnavailableProbability,
		"ambiguousWriteProbability": c.AmbiguousWriteProbability,
	} {
		if p < 0 || p > 1 {
			errs = append(errs, fmt.Errorf("%s must be between 0 and 1, got %v", name, p))
		}
	}
	for name, n := range map[string]int{
		"conflictNextWrites": c.ConflictNextWrites,
		"throttleNext":       c.ThrottleNext,
		"unavailableNext":    c.UnavailableNext,
		"retryAfterSeconds":  c.RetryAfterSeconds,
		"ambiguousWriteNext": c.AmbiguousWriteNext,
	} {
		if n < 0 {
			errs = append(errs, fmt.Errorf("%s must not be negative, got %d", name, n))
		}
	}
	if c.ForeignWriterRate < 0 || c.ForeignWriterRate > 100 {
		errs = append(errs, fmt.Errorf("foreignWriterRate must be between 0 and 100 edits per second, got %v", c.ForeignWriterRate))
	}
	switch c.RetryAfterForm {
	case "", retryafter.FormSeconds, retryafter.FormDecimal, retryafter.FormDate:
	default:
		errs = append(errs, fmt.Errorf("retryAfterForm must be %q, %q or %q, got %q", retryafter.FormSeconds, retryafter.FormDecimal, retryafter.FormDate, c.RetryAfterForm))
	}
	if c.Latency < 0 || c.ReplicaLag < 0 {
		errs = append(errs, errors.New("latency and replicaLag must not be negative"))
	}
	return errors.Join(errs...)
}

// EffectiveStaleReadProbability returns the stale-read probability the directory should use.
func (c Config) EffectiveStaleReadProbability() float64 {
	if c.ReplicaLag <= 0 {
		return 0
	}
	if c.StaleReadProbability == 0 {
		return 0.5
	}
	return c.StaleReadProbability
}

// Kind is a fault the injector decided on for one request.
type Kind int

const (
	// None means the request proceeds normally.
	None Kind = iota
	// Throttle means answer 429 TooManyRequests with Retry-After.
	Throttle
	// Unavailable means answer 503 Service Unavailable.
	Unavailable
	// Conflict means answer 409 Directory_ConcurrencyViolation.
	Conflict
	// AmbiguousUnavailable means a committed write is answered 503 Service Unavailable.
	AmbiguousUnavailable
	// AmbiguousTimeout means a committed write is answered 504 Gateway Timeout.
	AmbiguousTimeout
	// AmbiguousDrop means a committed write gets no answer: the connection (or HTTP/2 stream) is
	// dropped.
	AmbiguousDrop
)

// String names the fault.
func (k Kind) String() string {
	switch k {
	case Throttle:
		return "throttle"
	case Unavailable:
		return "unavailable"
	case Conflict:
		return "conflict"
	case AmbiguousUnavailable:
		return "ambiguous_503"
	case AmbiguousTimeout:
		return "ambiguous_504"
	case AmbiguousDrop:
		return "ambiguous_drop"
	default:
		return "none"
	}
}

// Decision is what to do with one request.
type Decision struct {
	// Kind is the fault to inject.
	Kind Kind
	// RetryAfter is the Retry-After value in seconds for Throttle.
	RetryAfter int
	// RetryAfterForm is Config.RetryAfterForm for Throttle.
	RetryAfterForm string
}

// RetryAfterHeader returns the Retry-After header value of a Throttle decision, in its form, for a
// response sent at now.
func (d Decision) RetryAfterHeader(now time.Time) string {
	delay := time.Duration(d.RetryAfter) * time.Second
	if d.RetryAfterForm == retryafter.FormDecimal {
		delay += time.Second / 2
	}
	return retryafter.Format(d.RetryAfterForm, delay, now)
}

// Injector holds the live configuration and decides, request by request, which fault to inject. It is safe
// for concurrent use.
type Injector struct {
	// setMu serializes Set and OnSet from storing a configuration to the end of its hooks, so that
	// hooks never run at once and the last configuration stored is the last one the hooks saw (a hook
	// that starts or stops a goroutine, such as the emulator's foreign writer, relies on it). It is not
	// mu: hooks may read the configuration.
	setMu  sync.Mutex
	mu     sync.Mutex
	cfg    Config
	rng    *mrand.Rand
	onSet  []func(Config)
	counts map[Kind]int64
}

// New returns an injector with the configuration (which must be valid).
func New(cfg Config) (*Injector, error) {
	in := &Injector{counts: map[Kind]int64{}}
	if err := in.Set(cfg); err != nil {
		return nil, err
	}
	return in, nil
}

// OnSet registers a function called with every new configuration (and immediately with the current one),
// used to push the replica settings into the directory.
func (in *Injector) OnSet(fn func(Config)) {
	in.setMu.Lock()
	defer in.setMu.Unlock()
	in.mu.Lock()
	in.onSet = append(in.onSet, fn)
	cfg := in.cfg
	in.mu.Unlock()
	fn(cfg)
}

// Set replaces the configuration and restarts the random sequence from its seed.
func (in *Injector) Set(cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid fault configuration: %w", err)
	}
	in.setMu.Lock()
	defer in.setMu.Unlock()
	in.mu.Lock()
	in.cfg = cfg
	in.rng = mrand.New(mrand.NewPCG(cfg.Seed, cfg.Seed^0x5851f42d4c957f2d))
	hooks := append([]func(Config){}, in.onSet...)
	in.mu.Unlock()
	for _, fn := range hooks {
		fn(cfg)
	}
	return nil
}

// Clear turns every fault off.
func (in *Injector) Clear() {
	// The zero configuration is always valid.
	_ = in.Set(Config{})
}

// Config returns the current configuration, with "next N" counters as they stand now.
func (in *Injector) Config() Config {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.cfg
}

// Latency returns the latency to add to a request.
func (in *Injector) Latency() time.Duration {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.cfg.Latency
}

// Injected returns how many faults of each kind have been injected since the injector was created.
func (in *Injector) Injected() map[string]int64 {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := map[string]int64{}
	for k, n := range in.counts {
		out[k.String()] = n
	}
	return out
}

// Decide returns the fault for one request. write is true for requests that change the directory; only
// they can receive Conflict. Outages (503) take precedence over throttling (429), which takes precedence
// over conflicts (409).
func (in *Injector) Decide(write bool) Decision {
	in.mu.Lock()
	defer in.mu.Unlock()
	d := in.decideLocked(write)
	if d.Kind != None {
		in.counts[d.Kind]++
	}
	return d
}

func (in *Injector) decideLocked(write bool) Decision {
	c := &in.cfg
	if c.UnavailableNext > 0 {
		c.UnavailableNext--
		return Decision{Kind: Unavailable}
	}
	if c.UnavailableProbability > 0 && in.rng.Float64() < c.UnavailableProbability {
		return Decision{Kind: Unavailable}
	}
	retryAfter := c.RetryAfterSeconds
	if retryAfter == 0 {
		retryAfter = 1
	}
	if c.ThrottleNext > 0 {
		c.ThrottleNext--
		return Decision{Kind: Throttle, RetryAfter: retryAfter, RetryAfterForm: c.RetryAfterForm}
	}
	if c.ThrottleProbability > 0 && in.rng.Float64() < c.ThrottleProbability {
		return Decision{Kind: Throttle, RetryAfter: retryAfter, RetryAfterForm: c.RetryAfterForm}
	}
	if !write {
		return Decision{}
	}
	if c.ConflictNextWrites > 0 {
		c.ConflictNextWrites--
		return Decision{Kind: Conflict}
	}
	if c.ConflictProbability > 0 && in.rng.Float64() < c.ConflictProbability {
		return Decision{Kind: Conflict}
	}
	return Decision{}
}

// DecideAmbiguous returns, for a write that was just committed, whether to hide its success: None, or
// one of AmbiguousUnavailable, AmbiguousTimeout and AmbiguousDrop (chosen evenly).
func (in *Injector) DecideAmbiguous() Kind {
	in.mu.Lock()
	defer in.mu.Unlock()
	c := &in.cfg
	hit := false
	if c.AmbiguousWriteNext > 0 {
		c.AmbiguousWriteNext--
		hit = true
	} else if c.AmbiguousWriteProbability > 0 && in.rng.Float64() < c.AmbiguousWriteProbability {
		hit = true
	}
	if !hit {
		return None
	}
	k := []Kind{AmbiguousUnavailable, AmbiguousTimeout, AmbiguousDrop}[in.rng.IntN(3)]
	in.counts[k]++
	return k
}
