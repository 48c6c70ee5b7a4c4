package precompiled

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

const engine = "faas-wasm-engine/1 wasmtime-go@v39.0.1 linux/amd64 test"

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	priv, pub := filepath.Join(dir, "build.key"), filepath.Join(dir, "build.pub")
	if err := WriteKeyPair(priv, pub); err != nil {
		t.Fatal(err)
	}
	if err := WriteKeyPair(priv, filepath.Join(dir, "other.pub")); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("WriteKeyPair over an existing key: %v", err)
	}
	if fi, err := os.Stat(priv); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode: %v %v", fi.Mode(), err)
	}
	key, err := LoadPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := LoadKeyRing(pub)
	if err != nil {
		t.Fatal(err)
	}
	_, otherPriv, _ := ed25519.GenerateKey(nil)

	module := Digest([]byte("\x00asm module"))
	data := []byte("native code")
	good := Sign(key, module, engine, data)
	tampered := bytes.Clone(data)
	tampered[0] ^= 1
	withClaims := func(f func(*Claims)) Claims {
		c := good
		c.Signature = bytes.Clone(good.Signature)
		f(&c)
		return c
	}
	// A signature made over the wrong engine or module, claims consistent
	// with it: the signature binds what this host checks, not the claims.
	liarEngine := withClaims(func(c *Claims) { c.Engine = "other" })
	liarEngine.Signature = Sign(key, module, "other", data).Signature
	liarEngine.Engine = engine

	cases := []struct {
		name   string
		ring   *KeyRing
		claims Claims
		data   []byte
		module string
		want   error
	}{
		{"good", ring, good, data, module, nil},
		{"good, key id unknown to the claims", ring, withClaims(func(c *Claims) { c.KeyID = "" }), data, module, nil},
		{"no trusted keys", nil, good, data, module, ErrNoTrustedKeys},
		{"empty key ring", NewKeyRing(), good, data, module, ErrNoTrustedKeys},
		{"unsigned", ring, withClaims(func(c *Claims) { c.Signature = nil }), data, module, ErrUnsigned},
		{"wrong key", ring, Sign(otherPriv, module, engine, data), data, module, ErrUntrustedKey},
		{"wrong key, no key id", ring, withClaims(func(c *Claims) { c.KeyID = ""; c.Signature = Sign(otherPriv, module, engine, data).Signature }), data, module, ErrBadSignature},
		{"wrong key claiming the trusted key's id", ring, withClaims(func(c *Claims) { c.Signature = Sign(otherPriv, module, engine, data).Signature }), data, module, ErrBadSignature},
		{"tampered bytes", ring, good, tampered, module, ErrBadSignature},
		{"tampered signature", ring, withClaims(func(c *Claims) { c.Signature[3] ^= 1 }), data, module, ErrBadSignature},
		{"wrong fingerprint", ring, withClaims(func(c *Claims) { c.Engine = "faas-wasm-engine/1 wasmtime-go@v38.0.0" }), data, module, ErrEngineMismatch},
		{"signed for another engine, claims this one", ring, liarEngine, data, module, ErrBadSignature},
		{"wrong module digest", ring, good, data, Digest([]byte("another module")), ErrModuleMismatch},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.ring.Check(tc.claims, tc.data, tc.module, engine)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Check: %v, want %v", err, tc.want)
			}
			t.Logf("ignored: %v", err)
		})
	}
}

func TestMessage(t *testing.T) {
	got := string(Message("sha256:aa", "fp", "sha256:bb"))
	if want := "faas-wasm precompiled v1\nsha256:aa\nfp\nsha256:bb\n"; got != want {
		t.Errorf("Message = %q, want %q", got, want)
	}
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	// Several keys in one file, and repeated files.
	_, a, _ := GenerateKey()
	_, b, _ := GenerateKey()
	both := filepath.Join(dir, "both.pub")
	if err := os.WriteFile(both, append(append([]byte("comment\n"), a...), b...), 0o644); err != nil {
		t.Fatal(err)
	}
	one := filepath.Join(dir, "a.pub")
	os.WriteFile(one, a, 0o644)
	r, err := LoadKeyRing(both, one)
	if err != nil || r.Len() != 2 {
		t.Fatalf("LoadKeyRing: %v, %d keys", err, r.Len())
	}
	junk := filepath.Join(dir, "junk.pub")
	os.WriteFile(junk, []byte("not a key"), 0o644)
	if _, err := LoadKeyRing(junk); !errors.Is(err, ErrKey) {
		t.Errorf("junk key file: %v", err)
	}
	if _, err := LoadPrivateKey(one); !errors.Is(err, ErrKey) {
		t.Errorf("public key as private: %v", err)
	}
	// openssl's keys are accepted when openssl is there.
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("no openssl")
	}
	priv := filepath.Join(dir, "ossl.key")
	if out, err := exec.Command("openssl", "genpkey", "-algorithm", "ed25519", "-out", priv).CombinedOutput(); err != nil {
		t.Skipf("openssl genpkey: %v %s", err, out)
	}
	pub := filepath.Join(dir, "ossl.pub")
	if out, err := exec.Command("openssl", "pkey", "-in", priv, "-pubout", "-out", pub).CombinedOutput(); err != nil {
		t.Fatalf("openssl pkey: %v %s", err, out)
	}
	k, err := LoadPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := LoadKeyRing(pub)
	if err != nil {
		t.Fatal(err)
	}
	c := Sign(k, "sha256:m", engine, []byte("x"))
	if err := ring.Check(c, []byte("x"), "sha256:m", engine); err != nil {
		t.Fatal(err)
	}
}
