package precompiled

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// ErrKey is wrapped by the errors of unreadable or unsuitable key files.
var ErrKey = errors.New("bad key")

// GenerateKey returns a new ed25519 key pair as PEM: the private key
// (PKCS #8, "PRIVATE KEY") and the public key (PKIX, "PUBLIC KEY").
func GenerateKey() (private, public []byte, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	p8, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, err
	}
	pk, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pk}), nil
}

// WriteKeyPair writes a new key pair: the private key to privPath (mode
// 0600) and the public key to pubPath (0644). It refuses to overwrite
// either file.
//
// # Errors
// An error wrapping fs.ErrExist when a file exists; write errors.
func WriteKeyPair(privPath, pubPath string) error {
	for _, p := range []string{privPath, pubPath} {
		if _, err := os.Stat(p); err == nil {
			return fmt.Errorf("%s: %w", p, fs.ErrExist)
		}
	}
	priv, pub, err := GenerateKey()
	if err != nil {
		return err
	}
	if err := writeNew(privPath, priv, 0o600); err != nil {
		return err
	}
	if err := writeNew(pubPath, pub, 0o644); err != nil {
		os.Remove(privPath)
		return err
	}
	return nil
}

func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

// ParsePrivateKey parses a PEM ed25519 private key (PKCS #8).
//
// # Errors
// ErrKey when data holds no such key.
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, fmt.Errorf("%w: no PEM PRIVATE KEY block", ErrKey)
		}
		if b.Type != "PRIVATE KEY" {
			continue
		}
		k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrKey, err)
		}
		ek, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%w: a %T, not an ed25519 key", ErrKey, k)
		}
		return ek, nil
	}
}

// LoadPrivateKey reads a PEM ed25519 private key file.
//
// # Errors
// Read errors; ErrKey when the file holds no such key.
func LoadPrivateKey(path string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// ParsePublicKeys parses every PEM "PUBLIC KEY" block of data, which must
// all be ed25519 keys; other block types are skipped.
//
// # Errors
// ErrKey when data holds no public key or one that is not ed25519.
func ParsePublicKeys(data []byte) ([]ed25519.PublicKey, error) {
	var keys []ed25519.PublicKey
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "PUBLIC KEY" {
			continue
		}
		k, err := x509.ParsePKIXPublicKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrKey, err)
		}
		ek, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("%w: a %T, not an ed25519 key", ErrKey, k)
		}
		keys = append(keys, ek)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no PEM PUBLIC KEY block", ErrKey)
	}
	return keys, nil
}

// LoadKeyRing reads the public keys of the files at paths (each holding one
// or more PEM public keys) into a key ring.
//
// # Errors
// Read errors; ErrKey for a file without ed25519 public keys.
func LoadKeyRing(paths ...string) (*KeyRing, error) {
	var all []ed25519.PublicKey
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		keys, err := ParsePublicKeys(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		all = append(all, keys...)
	}
	return NewKeyRing(all...), nil
}
