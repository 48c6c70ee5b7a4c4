package local

import (
	"context"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/idle"
)

// idleLoop scales to zero the functions labelled com.openfaas.scale.zero=true
// that have not been called for their com.openfaas.scale.zero-duration.
func (b *Host) idleLoop(ctx context.Context) {
	defer close(b.idleDone)
	idle.Loop(ctx, b.opts.idleInterval, b.scaleIdle)
}

// scaleIdle scales every idle function to zero.
func (b *Host) scaleIdle(ctx context.Context) {
	type candidate struct {
		f        *function
		name, ns string
	}
	now := b.opts.now()
	var due []candidate
	b.mu.RLock()
	for ns, n := range b.namespaces {
		for name, f := range n.functions {
			if isIdle(f, now) {
				due = append(due, candidate{f, name, ns})
			}
		}
	}
	b.mu.RUnlock()
	for _, c := range due {
		c.f.op.Lock()
		b.mu.RLock()
		still := isIdle(c.f, b.opts.now())
		b.mu.RUnlock()
		if still && b.current(c.f, c.name, c.ns) {
			if err := b.scaleLocked(ctx, c.f, c.name, c.ns, 0); err != nil {
				b.log.Error("idle scale to zero", "function", c.name, "namespace", c.ns, "err", err)
			} else {
				b.log.Info("function idle; scaled to zero", "function", c.name, "namespace", c.ns, "after", c.f.idleAfter)
			}
		}
		c.f.op.Unlock()
	}
}

// isIdle reports whether f should be scaled to zero; the caller holds b.mu.
func isIdle(f *function, now time.Time) bool {
	return idle.Due(f.idleAfter, f.replicas, f.inflight.Load(), time.Unix(0, f.lastUsed.Load()), now)
}
