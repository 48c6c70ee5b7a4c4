package local

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/faas-wasm/faas-wasm/provider"
)

// TestConcurrentOperations runs deploys, updates, scales, deletes, secret
// updates and calls on a few functions at once. Run with -race: it must end
// without a data race, a deadlock or an error other than the expected
// classes, and leave no replica loaded once every function is deleted.
func TestConcurrentOperations(t *testing.T) {
	f := newFixture(t)
	wantErr(t, f.b.CreateSecret(ctx, provider.Secret{Name: "s", Value: "v"}), nil)
	names := []string{"a", "b", "c"}
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for range 150 {
				name := names[rng.IntN(len(names))]
				d := echoSpec(name)
				d.Secrets = []string{"s"}
				var err error
				switch rng.IntN(7) {
				case 0:
					err = f.b.Deploy(ctx, d)
				case 1:
					d.Image = fmt.Sprintf("echo:%d", 1+rng.IntN(2))
					err = f.b.Update(ctx, d)
				case 2:
					err = f.b.Scale(ctx, name, "", uint64(rng.IntN(4)))
				case 3:
					err = f.b.Delete(ctx, name, "")
				case 4:
					err = f.b.UpdateSecret(ctx, provider.Secret{Name: "s", Value: fmt.Sprint(rng.Int())})
				default:
					if inv, e := f.b.Invoker(ctx, name, ""); e == nil {
						call(t, inv, "POST", "/", "x")
					} else {
						err = e
					}
				}
				if err != nil && !errors.Is(err, provider.ErrNotFound) && !errors.Is(err, provider.ErrAlreadyExists) &&
					!errors.Is(err, provider.ErrUnavailable) {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("unexpected error: %v", err)
	}
	for _, name := range names {
		f.b.Delete(ctx, name, "")
	}
	waitFor(t, func() bool { return f.eng.open.Load() == 0 })
}
