package k8s

import (
	"errors"
	"net"
	"net/url"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/faas-wasm/faas-wasm/provider"
)

func TestAPIError(t *testing.T) {
	gr := schema.GroupResource{Group: "apps", Resource: "deployments"}
	refused := &url.Error{Op: "Get", URL: "https://10.0.0.1:6443", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"not found", apierrors.NewNotFound(gr, "f"), provider.ErrNotFound},
		{"already exists", apierrors.NewAlreadyExists(gr, "f"), provider.ErrAlreadyExists},
		{"conflict", apierrors.NewConflict(gr, "f", errors.New("changed")), provider.ErrAlreadyExists},
		{"invalid", apierrors.NewInvalid(schema.GroupKind{Kind: "Deployment"}, "f", field.ErrorList{field.Invalid(field.NewPath("metadata", "labels"), "x y", "bad")}), provider.ErrInvalid},
		{"bad request", apierrors.NewBadRequest("no"), provider.ErrInvalid},
		{"unavailable", apierrors.NewServiceUnavailable("down"), provider.ErrUnavailable},
		{"timeout", apierrors.NewTimeoutError("slow", 1), provider.ErrUnavailable},
		{"connection refused", refused, provider.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := apiError(tt.err)
			if !errors.Is(got, tt.want) || !errors.Is(got, tt.err) {
				t.Fatalf("apiError(%v) = %v, want it to match %v and keep the original", tt.err, got, tt.want)
			}
		})
	}
	if apiError(nil) != nil {
		t.Error("apiError(nil) != nil")
	}
	forbidden := apierrors.NewForbidden(gr, "f", errors.New("rbac"))
	if got := apiError(forbidden); got != forbidden {
		t.Errorf("forbidden mapped to %v; it has no provider class", got)
	}
}
