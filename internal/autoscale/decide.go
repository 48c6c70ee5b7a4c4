package autoscale

import (
	"math"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/metrics"
	"github.com/faas-wasm/faas-wasm/provider"
)

// fnState is what the autoscaler remembers of one function between passes.
type fnState struct {
	seen      time.Time    // first pass that saw the function
	replicas  uint64       // replica count after the last pass
	lastUp    time.Time    // last increase of the replica count, by anyone
	prev      metrics.Load // load at the last pass
	havePrev  bool
	recs      []rec // desired counts within the cool-down window
	cpuWarned bool
	lastErr   string // last label error logged
}

// rec is the desired replica count of one pass.
type rec struct {
	at time.Time
	n  uint64
}

// decision is the outcome of one pass for one function.
type decision struct {
	replicas uint64
	reason   string
	load     float64 // the measure compared with the target
	warnCPU  bool    // cpu type without usage: log the fallback
}

// decide computes the replica count of a function from its status, its load
// now and what s remembers, and updates s. It never scales a function up
// from zero.
//
// # Errors
// provider.ErrInvalid for unreadable scale labels.
func (a *Autoscaler) decide(s *fnState, st provider.FunctionStatus, load metrics.Load, now time.Time) (decision, error) {
	prev, havePrev := s.prev, s.havePrev
	s.prev, s.havePrev = load, true
	cur := st.Replicas
	if cur > s.replicas {
		s.lastUp = now
	}
	s.replicas = cur
	keep := decision{replicas: cur, reason: "steady"}
	if cur == 0 {
		s.recs = s.recs[:0]
		return keep, nil
	}
	lo, hi, err := provider.ScaleBounds(st.Labels, a.o.maxReplicas)
	if err != nil {
		return keep, err
	}
	idle, err := provider.ScaleToZeroAfter(st.Labels)
	if err != nil {
		return keep, err
	}
	typ, target, err := a.spec(st.Labels)
	if err != nil {
		return keep, err
	}
	if hi == 0 {
		return keep, nil // com.openfaas.scale.max=0: nothing to decide between
	}
	if idle > 0 && load.InFlight == 0 {
		last := latest(load.LastCall, s.seen, s.lastUp)
		if now.Sub(last) >= idle {
			s.recs = s.recs[:0]
			return decision{replicas: 0, reason: "idle for " + idle.String()}, nil
		}
	}
	dt := load.At.Sub(prev.At).Seconds()
	if !a.o.loadScaling || !havePrev || dt <= 0 {
		return keep, nil
	}
	d := decision{replicas: cur, reason: "steady"}
	switch {
	case typ == provider.ScaleTypeRPS:
		if load.Invocations > prev.Invocations {
			d.load = float64(load.Invocations-prev.Invocations) / dt
		}
	case typ == provider.ScaleTypeCPU && st.Usage != nil && st.Usage.CPU > 0:
		d.load = st.Usage.CPU
	default: // capacity, and cpu without usage
		if typ == provider.ScaleTypeCPU && !s.cpuWarned {
			s.cpuWarned, d.warnCPU = true, true
		}
		if load.Busy > prev.Busy {
			d.load = (load.Busy - prev.Busy).Seconds() / dt
		}
	}
	desired := uint64(math.Ceil(d.load/target - 1e-9))
	desired = min(max(desired, lo, 1), hi)
	s.recs = append(s.recs, rec{now, desired})
	cut := 0
	for cut < len(s.recs) && now.Sub(s.recs[cut].at) > a.o.cooldown {
		cut++
	}
	s.recs = s.recs[cut:]
	switch {
	case desired > cur:
		d.replicas, d.reason = desired, "load above target"
	case cur > hi:
		d.replicas, d.reason = hi, "above "+provider.LabelScaleMax
	case desired < cur && now.Sub(s.lastUp) >= a.o.cooldown:
		want := desired
		for _, r := range s.recs {
			want = max(want, r.n)
		}
		if want < cur {
			d.replicas, d.reason = want, "load below target for the cool-down"
		}
	}
	return d, nil
}

// spec reads the scale type and per-replica target of a function, the
// options' defaults where its labels set none.
//
// # Errors
// provider.ErrInvalid from provider.ScaleLoad.
func (a *Autoscaler) spec(labels map[string]string) (string, float64, error) {
	typ, target, err := provider.ScaleLoad(labels)
	if err != nil {
		return "", 0, err
	}
	if typ == "" {
		typ = a.o.scaleType
	}
	if target == 0 {
		target = a.o.target
	}
	return typ, target, nil
}

// latest returns the latest of ts.
func latest(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if t.After(out) {
			out = t
		}
	}
	return out
}
