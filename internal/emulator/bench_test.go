package emulator_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/graphapi"
)

// BenchmarkGraphGet measures Graph GET application requests per second over HTTPS on loopback with
// parallel clients (GOMAXPROCS×4 goroutines sharing keep-alive connections), the provider's hottest path.
func BenchmarkGraphGet(b *testing.B) {
	ts := emulator.NewTestServer(b)
	tok := ts.GraphToken(emulator.DefaultDeployerAppID)
	url := ts.GraphBaseURL + "/v1.0/applications(appId='" + emulator.DefaultAgentAppID + "')"
	client := ts.HTTPClient()
	get := func() error {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	if err := get(); err != nil {
		b.Fatal(err)
	}
	ts.Admin().ResetCounters()
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := get(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	if got := ts.Admin().Counter(graphapi.RouteGetApplication); got != int64(b.N) {
		b.Fatalf("the counter saw %d GETs, the benchmark sent %d", got, b.N)
	}
}

// BenchmarkHeap1000Applications reports the heap in use by a server holding 1,000 applications, each
// with a scope, a pre-authorized client, an identifier URI and a secret.
func BenchmarkHeap1000Applications(b *testing.B) {
	for range b.N {
		b.StopTimer()
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		b.StartTimer()
		ts := emulator.NewTestServer(b)
		for i := range 1000 {
			scopeID := fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
			app := emulator.SeedApplication{
				DisplayName:    fmt.Sprintf("agent %d", i),
				Secrets:        []emulator.SeedSecret{{Value: fmt.Sprintf("secret-%d", i)}},
				IdentifierURIs: []string{"api://{appId}"},
				API: []byte(`{"oauth2PermissionScopes":[{"id":"` + scopeID + `","value":"access_as_client","type":"User","isEnabled":true,` +
					`"adminConsentDisplayName":"Access as client application","adminConsentDescription":"Allows the client application to access this agent via the LiveKit Platform Service."}],` +
					`"preAuthorizedApplications":[{"appId":"` + emulator.DefaultClientAppID + `","delegatedPermissionIds":["` + scopeID + `"]}]}`),
			}
			if _, err := ts.Admin().CreateApplication(app); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(int64(after.HeapInuse)-int64(before.HeapInuse))/(1<<20), "MiB-heap-in-use")
		if n := len(ts.Admin().State().Directory.Applications); n != 1003 {
			b.Fatalf("directory holds %d applications", n)
		}
		b.StartTimer()
	}
}

// BenchmarkServerStart measures the start-up time of a Server with the default seed (listener, leaf
// certificate, seed load, token signing key) and its shutdown. The CA is the process-wide test CA.
func BenchmarkServerStart(b *testing.B) {
	ca, err := emulator.TestCA()
	if err != nil {
		b.Fatal(err)
	}
	for _, withKey := range []bool{false, true} {
		name := "generated-signing-key"
		if withKey {
			name = "given-signing-key"
		}
		b.Run(name, func(b *testing.B) {
			cfg := emulator.Config{CA: ca}
			if withKey {
				srv, err := emulator.Start(cfg)
				if err != nil {
					b.Fatal(err)
				}
				cfg.SigningKey = srv.Entra().SigningKey()
				if err := srv.Close(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for range b.N {
				srv, err := emulator.Start(cfg)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := srv.Close(context.Background()); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
