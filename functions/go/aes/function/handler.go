// Package function is the study's aes function: it encrypts and decrypts a
// random string with AES-128 in CFB mode, repeatedly, and reports whether
// every round trip gave the plaintext back.
//
// Query: length (bytes of plaintext, default 1000), iterations (default 100),
// seed (default params.DefaultSeed). The plaintext, key and IVs come from the
// SplitMix64 generator of functions/internal/prng seeded with seed, so every
// build (Go or Rust, native or Wasm) answers the same. CFB is what
// the study measured; it is unauthenticated and not a recommendation.
package function

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"

	"github.com/faas-wasm/faas-wasm/functions/internal/params"
	"github.com/faas-wasm/faas-wasm/functions/internal/prng"
)

const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// Result is the answer of Handle.
type Result struct {
	Length     int64  `json:"length"`
	Iterations int64  `json:"iterations"`
	OK         bool   `json:"ok"`
	Digest     string `json:"digest"`
}

// Handle runs the benchmark for the request's query and answers a JSON
// Result; Digest is the SHA-256 of the last ciphertext.
func Handle(w http.ResponseWriter, r *http.Request) {
	length, err := params.Int(r, "length", 1000, 1, 1<<20)
	if err != nil {
		params.Error(w, http.StatusBadRequest, err)
		return
	}
	iterations, err := params.Int(r, "iterations", 100, 1, 100000)
	if err != nil {
		params.Error(w, http.StatusBadRequest, err)
		return
	}
	seed, err := params.Seed(r)
	if err != nil {
		params.Error(w, http.StatusBadRequest, err)
		return
	}
	res, err := Run(seed, int(length), int(iterations))
	if err != nil {
		params.Error(w, http.StatusInternalServerError, err)
		return
	}
	params.JSON(w, res)
}

// Run encrypts and decrypts a seeded random string of length bytes
// iterations times with a seeded AES-128 key and a fresh IV per iteration.
func Run(seed uint64, length, iterations int) (Result, error) {
	rng := prng.New(seed)
	plain := make([]byte, length)
	for i := range plain {
		plain[i] = letters[rng.IntN(len(letters))]
	}
	key := make([]byte, 16)
	fill(rng, key)
	block, err := aes.NewCipher(key)
	if err != nil {
		return Result{}, fmt.Errorf("aes key: %w", err)
	}
	res := Result{Length: int64(length), Iterations: int64(iterations), OK: true}
	iv := make([]byte, aes.BlockSize)
	ct := make([]byte, length)
	pt := make([]byte, length)
	for range iterations {
		fill(rng, iv)
		//lint:ignore SA1019 the study measures AES-CFB.
		cipher.NewCFBEncrypter(block, iv).XORKeyStream(ct, plain)
		//lint:ignore SA1019 the study measures AES-CFB.
		cipher.NewCFBDecrypter(block, iv).XORKeyStream(pt, ct)
		if !bytes.Equal(pt, plain) {
			res.OK = false
		}
	}
	sum := sha256.Sum256(ct)
	res.Digest = hex.EncodeToString(sum[:])
	return res, nil
}

func fill(rng *prng.Rand, b []byte) {
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
}
