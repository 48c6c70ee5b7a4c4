// Package precompiled signs and checks precompiled Wasm modules: native code
// a builder compiled from a module for one engine fingerprint (see
// runtime/wasm's Precompile) and ships beside the module in its image (see
// package precompiled/layer). A provider loads such code instead of
// compiling only when a key it trusts signed it for exactly that module and
// that engine: native code skips Wasm validation, so loading untrusted bytes
// would break the sandbox.
//
// The signature is ed25519 over Message: the module's digest, the engine
// fingerprint and the precompiled bytes' digest. Keys are PEM files (PKCS #8
// "PRIVATE KEY", PKIX "PUBLIC KEY"), the formats of `openssl genpkey
// -algorithm ed25519` and of GenerateKey.
package precompiled

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// messagePrefix starts every signed message; it names the format version.
const messagePrefix = "faas-wasm precompiled v1\n"

// Reasons a precompiled module is not loaded, wrapped by Check's errors.
var (
	ErrNoTrustedKeys  = errors.New("no trusted build key configured")
	ErrUnsigned       = errors.New("precompiled module is not signed")
	ErrUntrustedKey   = errors.New("precompiled module signed by an untrusted key")
	ErrBadSignature   = errors.New("precompiled module signature does not verify")
	ErrEngineMismatch = errors.New("precompiled module built for another engine")
	ErrModuleMismatch = errors.New("precompiled module built from another module")
)

// Digest returns "sha256:<hex>" of data.
func Digest(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Message returns the bytes that are signed: "faas-wasm precompiled v1\n",
// then the module's digest, the engine fingerprint and the precompiled
// bytes' digest, each followed by a newline. Digests are "sha256:<hex>".
func Message(moduleDigest, fingerprint, precompiledDigest string) []byte {
	return []byte(messagePrefix + moduleDigest + "\n" + fingerprint + "\n" + precompiledDigest + "\n")
}

// KeyID names a public key: "ed25519:" and the first 16 hex digits of the
// SHA-256 of the key. It tells which trusted key to try; the signature, not
// the name, is what is checked.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return "ed25519:" + hex.EncodeToString(sum[:8])
}

// Claims are what a precompiled module's image says about it.
type Claims struct {
	// Module is the digest of the module it was compiled from.
	Module string
	// Engine is the fingerprint of the engine that compiled it.
	Engine string
	// KeyID names the signing key (may be empty: every trusted key is tried).
	KeyID string
	// Signature is the ed25519 signature of Message.
	Signature []byte
}

// Sign returns the claims of data, the precompiled form of the module whose
// digest is moduleDigest, for the engine fingerprint, signed with key.
func Sign(key ed25519.PrivateKey, moduleDigest, fingerprint string, data []byte) Claims {
	return Claims{
		Module:    moduleDigest,
		Engine:    fingerprint,
		KeyID:     KeyID(key.Public().(ed25519.PublicKey)),
		Signature: ed25519.Sign(key, Message(moduleDigest, fingerprint, Digest(data))),
	}
}

// KeyRing is a set of trusted public keys. The zero value trusts nothing.
type KeyRing struct {
	keys map[string]ed25519.PublicKey
}

// NewKeyRing returns a key ring trusting keys.
func NewKeyRing(keys ...ed25519.PublicKey) *KeyRing {
	r := &KeyRing{keys: map[string]ed25519.PublicKey{}}
	for _, k := range keys {
		r.keys[KeyID(k)] = k
	}
	return r
}

// Len returns how many keys r trusts (0 for nil).
func (r *KeyRing) Len() int {
	if r == nil {
		return 0
	}
	return len(r.keys)
}

// IDs returns the names of the trusted keys, for logs.
func (r *KeyRing) IDs() []string {
	if r == nil {
		return nil
	}
	ids := make([]string, 0, len(r.keys))
	for id := range r.keys {
		ids = append(ids, id)
	}
	return ids
}

// Check returns nil when data, with claims c, may be loaded as the compiled
// form of the module whose bytes have digest moduleDigest on an engine whose
// fingerprint is engine: its claims name that module and that engine, and a
// trusted key signed Message over those two and data's digest.
//
// # Errors
// An error wrapping the reason: ErrNoTrustedKeys, ErrUnsigned,
// ErrEngineMismatch, ErrModuleMismatch, ErrUntrustedKey or ErrBadSignature.
func (r *KeyRing) Check(c Claims, data []byte, moduleDigest, engine string) error {
	switch {
	case r.Len() == 0:
		return ErrNoTrustedKeys
	case len(c.Signature) == 0:
		return ErrUnsigned
	case c.Engine != engine:
		return fmt.Errorf("%w: built for %q, this engine is %q", ErrEngineMismatch, c.Engine, engine)
	case c.Module != moduleDigest:
		return fmt.Errorf("%w: built from %s, the module is %s", ErrModuleMismatch, c.Module, moduleDigest)
	}
	// The message is rebuilt from what is true here, not from the claims.
	msg := Message(moduleDigest, engine, Digest(data))
	if c.KeyID != "" {
		k, ok := r.keys[c.KeyID]
		if !ok {
			return fmt.Errorf("%w: %s", ErrUntrustedKey, c.KeyID)
		}
		if !ed25519.Verify(k, msg, c.Signature) {
			return fmt.Errorf("%w (key %s)", ErrBadSignature, c.KeyID)
		}
		return nil
	}
	for _, k := range r.keys {
		if ed25519.Verify(k, msg, c.Signature) {
			return nil
		}
	}
	return fmt.Errorf("%w with any of the %d trusted keys", ErrBadSignature, len(r.keys))
}
