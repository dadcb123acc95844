package faults_test

import (
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/faults"
)

func TestZeroConfigInjectsNothing(t *testing.T) {
	in, err := faults.New(faults.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for range 1000 {
		if d := in.Decide(true); d.Kind != faults.None {
			t.Fatalf("zero configuration injected %v", d.Kind)
		}
	}
}

func TestNextCountersArePreciseAndOrdered(t *testing.T) {
	in, err := faults.New(faults.Config{UnavailableNext: 1, ThrottleNext: 2, RetryAfterSeconds: 3, ConflictNextWrites: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		write bool
		kind  faults.Kind
	}{
		{false, faults.Unavailable},
		{false, faults.Throttle},
		{true, faults.Throttle},
		{false, faults.None}, // reads never get conflicts
		{true, faults.Conflict},
		{true, faults.Conflict},
		{true, faults.None},
	}
	for i, w := range want {
		d := in.Decide(w.write)
		if d.Kind != w.kind {
			t.Fatalf("request %d: got %v, want %v", i, d.Kind, w.kind)
		}
		if d.Kind == faults.Throttle && d.RetryAfter != 3 {
			t.Fatalf("retry-after = %d, want 3", d.RetryAfter)
		}
	}
	if got := in.Injected(); got["conflict"] != 2 || got["throttle"] != 2 || got["unavailable"] != 1 {
		t.Fatalf("injected counters = %v", got)
	}
	if in.Config().ConflictNextWrites != 0 {
		t.Fatal("counters should be consumed")
	}
}

func TestProbabilitiesAreSeededAndReproducible(t *testing.T) {
	run := func() []faults.Kind {
		in, err := faults.New(faults.Config{ConflictProbability: 0.3, ThrottleProbability: 0.2, Seed: 42})
		if err != nil {
			t.Fatal(err)
		}
		out := make([]faults.Kind, 200)
		for i := range out {
			out[i] = in.Decide(true).Kind
		}
		return out
	}
	a, b := run(), run()
	seen := map[faults.Kind]int{}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("request %d differs between runs with the same seed", i)
		}
		seen[a[i]]++
	}
	if seen[faults.Conflict] == 0 || seen[faults.Throttle] == 0 || seen[faults.None] == 0 {
		t.Fatalf("expected a mix of outcomes, got %v", seen)
	}
}

func TestValidateAndHooks(t *testing.T) {
	if _, err := faults.New(faults.Config{ConflictProbability: 1.5}); err == nil {
		t.Fatal("probability above 1 accepted")
	}
	if _, err := faults.New(faults.Config{ThrottleNext: -1}); err == nil {
		t.Fatal("negative counter accepted")
	}
	in, err := faults.New(faults.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var seen []time.Duration
	in.OnSet(func(c faults.Config) { seen = append(seen, c.ReplicaLag) })
	if err := in.Set(faults.Config{ReplicaLag: time.Second}); err != nil {
		t.Fatal(err)
	}
	in.Clear()
	if len(seen) != 3 || seen[0] != 0 || seen[1] != time.Second || seen[2] != 0 {
		t.Fatalf("hook calls = %v", seen)
	}
	if p := (faults.Config{ReplicaLag: time.Second}).EffectiveStaleReadProbability(); p != 0.5 {
		t.Fatalf("default stale probability = %v, want 0.5", p)
	}
	if p := (faults.Config{StaleReadProbability: 0.9}).EffectiveStaleReadProbability(); p != 0 {
		t.Fatalf("stale probability without lag = %v, want 0", p)
	}
}

func TestAmbiguousWritesNextAndProbability(t *testing.T) {
	in, err := faults.New(faults.Config{AmbiguousWriteNext: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if k := in.DecideAmbiguous(); k != faults.AmbiguousUnavailable && k != faults.AmbiguousTimeout && k != faults.AmbiguousDrop {
			t.Fatalf("write %d: got %v, want an ambiguous answer", i, k)
		}
	}
	if k := in.DecideAmbiguous(); k != faults.None {
		t.Fatalf("third write: got %v, want none", k)
	}
	in, err = faults.New(faults.Config{AmbiguousWriteProbability: 0.5, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[faults.Kind]int{}
	for range 600 {
		seen[in.DecideAmbiguous()]++
	}
	for _, k := range []faults.Kind{faults.None, faults.AmbiguousUnavailable, faults.AmbiguousTimeout, faults.AmbiguousDrop} {
		if seen[k] < 60 {
			t.Errorf("%v drawn %d times of 600: %v", k, seen[k], seen)
		}
	}
	got := in.Injected()
	if got["ambiguous_503"]+got["ambiguous_504"]+got["ambiguous_drop"] != int64(600-seen[faults.None]) {
		t.Errorf("injected counters = %v, draws %v", got, seen)
	}
}

func TestAmbiguousAndForeignWriterValidation(t *testing.T) {
	for _, c := range []faults.Config{
		{AmbiguousWriteProbability: 1.5},
		{AmbiguousWriteNext: -1},
		{ForeignWriterRate: -1},
		{ForeignWriterRate: 1000},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
}

// Concurrent Set calls (two admin API requests, a reset during a PUT) run their hooks one after the other,
// and the last configuration stored is the one the hooks saw last: a hook that starts or stops a goroutine
// (the emulator's foreign writer) would otherwise start two, or stop the wrong one.
func TestSetRunsHooksOneAtATime(t *testing.T) {
	in, err := faults.New(faults.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var inside, overlaps atomic.Int32
	var last atomic.Int64
	in.OnSet(func(c faults.Config) {
		if inside.Add(1) > 1 {
			overlaps.Add(1)
		}
		time.Sleep(time.Millisecond)
		last.Store(int64(c.Seed))
		inside.Add(-1)
	})
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := in.Set(faults.Config{Seed: uint64(i + 1)}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := overlaps.Load(); n > 0 {
		t.Errorf("hooks ran at the same time %d times", n)
	}
	if got, want := last.Load(), int64(in.Config().Seed); got != want {
		t.Errorf("the hooks saw seed %d last, but the configuration stored last has seed %d", got, want)
	}
}

// The admin API's JSON form: durations as Go duration strings both ways, zero values left out, an
// unknown field or a malformed duration refused.
func TestConfigJSON(t *testing.T) {
	in := faults.Config{Latency: 250 * time.Millisecond, ReplicaLag: 2 * time.Second, ThrottleNext: 2, RetryAfterForm: "date", Seed: 7}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"throttleNext":2,"retryAfterForm":"date","seed":7,"latency":"250ms","replicaLag":"2s"}`; string(raw) != want {
		t.Errorf("JSON = %s, want %s", raw, want)
	}
	var out faults.Config
	if err := json.Unmarshal(raw, &out); err != nil || out != in {
		t.Errorf("round trip = %+v, %v; want %+v", out, err, in)
	}
	for body, want := range map[string]string{
		`{"latency":"soon"}`:  "latency: ",
		`{"replicaLag":"1"}`:  "replicaLag: ",
		`{"throttleNxt":1}`:   "unknown field",
		`{"replicaLag":1000}`: "cannot unmarshal number",
	} {
		if err := json.Unmarshal([]byte(body), &out); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", body, err, want)
		}
	}
}
