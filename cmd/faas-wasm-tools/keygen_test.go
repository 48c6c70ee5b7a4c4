package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/faas-wasm/faas-wasm/internal/precompiled"
)

func TestKeygen(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "build")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"keygen", "--out", prefix}, &out, &out); err != nil {
		t.Fatal(err)
	}
	key, err := precompiled.LoadPrivateKey(prefix + ".key")
	if err != nil {
		t.Fatal(err)
	}
	ring, err := precompiled.LoadKeyRing(prefix + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	c := precompiled.Sign(key, "sha256:m", "fp", []byte("x"))
	if err := ring.Check(c, []byte("x"), "sha256:m", "fp"); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"keygen", "--out", prefix}, &out, &out); err == nil {
		t.Error("keygen overwrote an existing key")
	}
}
