package local

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/faas-wasm/faas-wasm/provider"
)

func TestSecrets(t *testing.T) {
	var logs bytes.Buffer
	f := newFixture(t, WithLogger(newTextLogger(&logs)))
	b := f.b
	wantErr(t, b.CreateSecret(ctx, provider.Secret{Name: "db", Value: "pw-one"}), nil)
	wantErr(t, b.CreateSecret(ctx, provider.Secret{Name: "other", RawValue: []byte{0, 1, 2}}), nil)
	wantErr(t, b.CreateSecret(ctx, provider.Secret{Name: "db", Value: "x"}), provider.ErrAlreadyExists)
	wantErr(t, b.CreateSecret(ctx, provider.Secret{Name: "db", Namespace: "nope", Value: "x"}), provider.ErrNotFound)
	wantErr(t, b.CreateSecret(ctx, provider.Secret{Name: "Bad_Name", Value: "x"}), provider.ErrInvalid)
	wantErr(t, b.UpdateSecret(ctx, provider.Secret{Name: "missing", Value: "x"}), provider.ErrNotFound)
	wantErr(t, b.DeleteSecret(ctx, "missing", ""), provider.ErrNotFound)
	_, err := b.Secrets(ctx, "nope")
	wantErr(t, err, provider.ErrNotFound)

	list, err := b.Secrets(ctx, "")
	wantErr(t, err, nil)
	if len(list) != 2 || list[0] != (provider.SecretRef{Name: "db", Namespace: provider.DefaultNamespace}) || list[1].Name != "other" {
		t.Fatalf("secrets = %+v", list)
	}
	st, err := os.Stat(filepath.Join(f.dir, "secrets", provider.DefaultNamespace, "db"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("secret file mode %v, %v; want 0600", st.Mode(), err)
	}

	d := echoSpec("uses-db")
	d.Secrets = []string{"db"}
	wantErr(t, b.Deploy(ctx, d), nil)
	wantErr(t, b.Deploy(ctx, echoSpec("no-secrets")), nil)
	mount := filepath.Join(f.dir, "mounts", provider.DefaultNamespace, "uses-db")
	if entries, _ := os.ReadDir(mount); len(entries) != 1 || entries[0].Name() != "db" {
		t.Fatalf("mount holds %v, want only db", entries)
	}
	if entries, _ := os.ReadDir(filepath.Join(f.dir, "mounts", provider.DefaultNamespace, "no-secrets")); len(entries) != 0 {
		t.Fatalf("function without secrets sees %v", entries)
	}
	h, _ := b.Invoker(ctx, "uses-db", "")
	if _, body, _ := call(t, h, "GET", "/secret/db", ""); body != "pw-one" {
		t.Fatalf("secret read %q", body)
	}
	wantErr(t, b.UpdateSecret(ctx, provider.Secret{Name: "db", Value: "pw-two"}), nil)
	if _, body, _ := call(t, h, "GET", "/secret/db", ""); body != "pw-two" {
		t.Fatalf("after update, secret read %q", body)
	}
	wantErr(t, b.DeleteSecret(ctx, "db", ""), nil)
	if code, _, _ := call(t, h, "GET", "/secret/db", ""); code != 500 {
		t.Fatalf("deleted secret still readable (%d)", code)
	}
	for _, v := range []string{"pw-one", "pw-two"} {
		if bytes.Contains(logs.Bytes(), []byte(v)) {
			t.Fatalf("a secret value was logged: %s", logs.String())
		}
	}
}
