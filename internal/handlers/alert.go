package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/faas-wasm/faas-wasm/provider"
)

// LabelScaleFactor is the percentage of a function's maximum replica count
// added per firing alert (default DefaultScaleFactor; 0 turns alert scaling
// off for the function).
const LabelScaleFactor = "com.openfaas.scale.factor"

// DefaultScaleFactor is the step of an alert scale-up, in percent of max.
const DefaultScaleFactor = 20

// alertPayload is the part of the AlertManager webhook body (version 4) read here.
type alertPayload struct {
	Status string  `json:"status"`
	Alerts []alert `json:"alerts"`
}

type alert struct {
	Status string            `json:"status"`
	Labels map[string]string `json:"labels"`
}

// MakeAlertHandler serves POST /system/alert, the AlertManager webhook the
// OpenFaaS gateway forwards (e.g. alertname APIHighInvocationRate). For each
// alert it finds the function in labels.function_name (else labels.service),
// "name" or "name.namespace". A firing alert adds
// ceil(max × com.openfaas.scale.factor / 100) replicas (factor default 20),
// up to com.openfaas.scale.max; a resolved alert scales back to
// com.openfaas.scale.min (default 1), except a function at zero, which
// stays there. It answers 200 when every alert was
// applied, 400 for a body without alerts or naming no function, and the
// status of the first error class otherwise (404 for an unknown function).
//
// An autoscaler running beside it (package autoscale) sees an alert's
// scale-up as a replica change made by someone else: it starts its
// scale-down cool-down then, and scales back down afterwards if the load it
// measures does not need the replicas.
func MakeAlertHandler(b provider.Backend, cfg Config) http.HandlerFunc {
	cfg = cfg.withDefaults()
	return func(w http.ResponseWriter, r *http.Request) {
		var p alertPayload
		if err := decodeJSON(r.Body, cfg.MaxBodyBytes, &p); err != nil {
			writeError(w, r, cfg.Logger, fmt.Errorf("alert: %w", err))
			return
		}
		if len(p.Alerts) == 0 {
			writeError(w, r, cfg.Logger, fmt.Errorf("alert: the payload holds no alerts: %w", provider.ErrInvalid))
			return
		}
		var errs []error
		for _, a := range p.Alerts {
			if err := applyAlert(r, b, cfg, a, p.Status); err != nil {
				errs = append(errs, err)
			}
		}
		if err := errors.Join(errs...); err != nil {
			writeError(w, r, cfg.Logger, err)
			return
		}
		w.WriteHeader(http.StatusOK)
	}
}

// applyAlert scales the function one alert names.
func applyAlert(r *http.Request, b provider.Backend, cfg Config, a alert, status string) error {
	if a.Status != "" {
		status = a.Status
	}
	raw := a.Labels["function_name"]
	if raw == "" {
		raw = a.Labels["service"]
	}
	if raw == "" {
		return fmt.Errorf("alert %q names no function (labels function_name and service are empty): %w", a.Labels["alertname"], provider.ErrInvalid)
	}
	name, ns, err := functionRef(raw, "", cfg.DefaultNamespace)
	if err != nil {
		return fmt.Errorf("alert %q: %w", a.Labels["alertname"], err)
	}
	st, err := b.Function(r.Context(), name, ns)
	if err != nil {
		return fmt.Errorf("alert for %s.%s: %w", name, ns, err)
	}
	want, err := alertReplicas(st, status, cfg.MaxReplicas)
	if err != nil {
		return fmt.Errorf("alert for %s.%s: %w", name, ns, err)
	}
	if want == st.Replicas {
		return nil
	}
	cfg.Logger.InfoContext(r.Context(), "scaling on alert", "function", name, "namespace", ns,
		"alert", a.Labels["alertname"], "status", status, "from", st.Replicas, "to", want)
	if err := b.Scale(r.Context(), name, ns, want); err != nil {
		return fmt.Errorf("alert for %s.%s: scale to %d: %w", name, ns, want, err)
	}
	return nil
}

// alertReplicas is the replica count an alert of this status asks for.
//
// # Errors
// provider.ErrInvalid for unreadable scale labels or an unknown status.
func alertReplicas(st provider.FunctionStatus, status string, limit uint64) (uint64, error) {
	lo, hi, err := provider.ScaleBounds(st.Labels, limit)
	if err != nil {
		return 0, err
	}
	factor := uint64(DefaultScaleFactor)
	if v, ok := st.Labels[LabelScaleFactor]; ok {
		if factor, err = strconv.ParseUint(v, 10, 64); err != nil || factor > 100 {
			return 0, fmt.Errorf("label %s=%q is not a percentage from 0 to 100: %w", LabelScaleFactor, v, provider.ErrInvalid)
		}
	}
	switch status {
	case "firing":
		step := (hi*factor + 99) / 100
		if step == 0 {
			return st.Replicas, nil
		}
		return max(min(st.Replicas+step, hi), lo), nil
	case "resolved":
		if st.Replicas == 0 {
			return 0, nil // idle at zero: leave waking to the next call
		}
		return lo, nil
	default:
		return 0, fmt.Errorf("alert status %q: want firing or resolved: %w", status, provider.ErrInvalid)
	}
}
