// Package idle is the scale-to-zero decision and scan loop that the local
// and the Kubernetes backend share: a function labelled
// com.openfaas.scale.zero=true (provider.ScaleToZeroAfter) is scaled to
// zero once it has had no call for its com.openfaas.scale.zero-duration.
//
// It does not read labels, count calls or scale anything: each backend
// keeps its own call statistics and does the scaling in the scan it passes
// to Loop.
package idle

import (
	"context"
	"time"
)

// Due reports whether a function should be scaled to zero at now: it scales
// to zero after `after` without calls (0 or less: never), it has replicas,
// no call is in flight, and its last call (or scale-up) at lastUsed was at
// least `after` ago.
func Due(after time.Duration, replicas uint64, inflight int64, lastUsed, now time.Time) bool {
	return after > 0 && replicas > 0 && inflight <= 0 && now.Sub(lastUsed) >= after
}

// Loop calls scan every interval until ctx is done; it returns then.
func Loop(ctx context.Context, interval time.Duration, scan func(context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			scan(ctx)
		}
	}
}
