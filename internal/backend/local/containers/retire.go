package containers

import (
	"context"
	"slices"
	"time"
)

// retire removes the replicas an update replaced once the update's new
// replicas can take traffic: when one of them is ready, when all of them
// report an error (crash loop, port never opening), or after the start
// timeout. Until then Handler falls back to the old replicas when no new one
// is ready, so an update does not drop calls. If the manager closes first,
// the old containers stay; Recover removes them as an older spec.
func (m *Manager) retire(fn *function, old, replacements []*replica) {
	if len(old) == 0 {
		return
	}
	m.bg.Go(func() {
		deadline := time.Now().Add(m.opts.startTimeout)
		for !m.replacementsSettled(replacements) && time.Now().Before(deadline) {
			m.mu.RLock()
			closed := m.closed
			m.mu.RUnlock()
			if closed {
				return
			}
			time.Sleep(startProbeInterval)
		}
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return
		}
		// Remove may have taken some of them already: stop only what is left.
		var mine []*replica
		fn.retiring = slices.DeleteFunc(slices.Clone(fn.retiring), func(r *replica) bool {
			if slices.Contains(old, r) {
				mine = append(mine, r)
				return true
			}
			return false
		})
		m.mu.Unlock()
		if err := m.stopReplicas(context.Background(), mine); err != nil {
			m.log.Warn("removing replaced replicas", "err", err)
		}
	})
}

// replacementsSettled tells whether the old replicas can go.
func (m *Manager) replacementsSettled(reps []*replica) bool {
	failed := 0
	for _, r := range reps {
		s := r.snapshot()
		if s.Ready {
			return true
		}
		if s.Err != "" {
			failed++
		}
	}
	return failed == len(reps)
}
