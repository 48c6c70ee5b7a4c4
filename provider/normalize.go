package provider

import (
	"maps"
	"slices"
)

// Normalized returns a deep copy of d in namespace ns whose labels include
// LabelFunction=d.Service: the form backends store, so later changes to the
// caller's maps and slices never reach stored state.
func (d FunctionDeployment) Normalized(ns string) FunctionDeployment {
	out := d
	out.Namespace = ns
	out.EnvVars = maps.Clone(d.EnvVars)
	out.Annotations = maps.Clone(d.Annotations)
	out.Constraints = slices.Clone(d.Constraints)
	out.Secrets = slices.Clone(d.Secrets)
	out.Labels = maps.Clone(d.Labels)
	if out.Labels == nil {
		out.Labels = map[string]string{}
	}
	out.Labels[LabelFunction] = d.Service
	if d.Limits != nil {
		c := *d.Limits
		out.Limits = &c
	}
	if d.Requests != nil {
		c := *d.Requests
		out.Requests = &c
	}
	return out
}
