package clocktest_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/clocktest"
)

// start is when the clocks of the tests start.
var start = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

// Sleep moves the clock by the wait and records it; a wait cut short records it without moving.
func TestClock(t *testing.T) {
	c := clocktest.New(start)
	if err := c.Sleep(context.Background(), 3*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := c.Sleep(context.Background(), 500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if got, want := c.Now(), start.Add(3500*time.Millisecond); !got.Equal(want) {
		t.Errorf("Now = %s, want %s", got, want)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Sleep(ctx, time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep with a cancelled context = %v, want context.Canceled", err)
	}
	c.SleepErr = errors.New("cut short")
	if err := c.Sleep(context.Background(), time.Minute); !errors.Is(err, c.SleepErr) {
		t.Errorf("Sleep with SleepErr = %v", err)
	}
	if got, want := c.Now(), start.Add(4500*time.Millisecond); !got.Equal(want) {
		t.Errorf("Now after a wait cut short = %s, want %s (not moved)", got, want)
	}
	if got, want := c.Waits(), []time.Duration{3 * time.Second, 500 * time.Millisecond, time.Second, time.Minute}; !reflect.DeepEqual(got, want) {
		t.Errorf("Waits = %v, want %v", got, want)
	}
}
