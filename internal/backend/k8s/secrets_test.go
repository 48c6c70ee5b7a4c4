package k8s

import (
	"context"
	"errors"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/faas-wasm/faas-wasm/provider"
)

func TestSecrets(t *testing.T) {
	ctx := context.Background()
	foreign := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "other", Namespace: provider.DefaultNamespace}}
	c := newFake(foreign)
	b := newBackend(t, c)
	steps := []struct {
		name string
		do   func() error
		want error
	}{
		{"create", func() error { return b.CreateSecret(ctx, provider.Secret{Name: "s1", Value: "v1"}) }, nil},
		{"create raw", func() error { return b.CreateSecret(ctx, provider.Secret{Name: "s2", RawValue: []byte{0, 1}}) }, nil},
		{"create again", func() error { return b.CreateSecret(ctx, provider.Secret{Name: "s1", Value: "x"}) }, provider.ErrAlreadyExists},
		{"create in unknown namespace", func() error { return b.CreateSecret(ctx, provider.Secret{Name: "s", Namespace: "nope"}) }, provider.ErrNotFound},
		{"create bad name", func() error { return b.CreateSecret(ctx, provider.Secret{Name: "Bad"}) }, provider.ErrInvalid},
		{"update", func() error { return b.UpdateSecret(ctx, provider.Secret{Name: "s1", Value: "v2"}) }, nil},
		{"update missing", func() error { return b.UpdateSecret(ctx, provider.Secret{Name: "nope", Value: "v"}) }, provider.ErrNotFound},
		{"update foreign", func() error { return b.UpdateSecret(ctx, provider.Secret{Name: "other", Value: "v"}) }, provider.ErrNotFound},
		{"delete", func() error { return b.DeleteSecret(ctx, "s2", "") }, nil},
		{"delete missing", func() error { return b.DeleteSecret(ctx, "s2", "") }, provider.ErrNotFound},
		{"delete foreign", func() error { return b.DeleteSecret(ctx, "other", "") }, provider.ErrNotFound},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if err := s.do(); !errors.Is(err, s.want) || (s.want == nil && err != nil) {
				t.Fatalf("got %v, want %v", err, s.want)
			}
		})
	}
	got, err := c.CoreV1().Secrets(provider.DefaultNamespace).Get(ctx, "s1", metav1.GetOptions{})
	if err != nil || string(got.Data["s1"]) != "v2" {
		t.Fatalf("stored secret %v, %v", got, err)
	}
	eventually(t, "list", func() bool {
		l, err := b.Secrets(ctx, "")
		return err == nil && reflect.DeepEqual(l, []provider.SecretRef{{Name: "s1", Namespace: provider.DefaultNamespace}})
	})
	if _, err := b.Secrets(ctx, "nope"); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("Secrets(nope) = %v, want ErrNotFound", err)
	}
	cached, err := b.secrets.Secrets(provider.DefaultNamespace).Get("s1")
	if err != nil || cached.Data != nil {
		t.Errorf("cache holds secret values: %v, %v", cached.Data, err)
	}
}
