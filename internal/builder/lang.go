package builder

import (
	"fmt"
	"strings"

	"github.com/faas-wasm/faas-wasm/internal/builder/rustflags"
)

// Lang is a stack entry's `lang:`, the toolchain that builds it.
type Lang string

// The languages the builder knows. Each builds one source two ways: a static
// Linux binary for a FROM-scratch container image, and a WASI preview-1
// module for a Wasm image.
const (
	// LangGo is a Go main package using the fn SDK (go build; GOOS=wasip1
	// for Wasm, in the command, reactor or snapshot shape).
	LangGo Lang = "go-faaswasm"
	// LangRust is a Cargo package using the faas-wasm-fn crate (sdk/rust):
	// /usr/bin/cargo rustc --release for wasm32-wasi (its binary as a
	// command module, or its library as a reactor) and for the host's
	// linux-gnu target with +crt-static.
	LangRust Lang = "rust-faaswasm"
	// LangC is a directory of .c files (or one .c file), linked with the C
	// SDK (sdk/c/faaswasm.c) when a source includes faaswasm.h: clang
	// --target=wasm32-wasi with wasi-libc (a command module, or with
	// -mexec-model=reactor a reactor), and clang -static natively.
	LangC Lang = "c-faaswasm"
)

// Langs returns the languages the builder knows, in a stable order.
func Langs() []Lang { return []Lang{LangGo, LangRust, LangC} }

// parseLang maps a stack entry's lang to a Lang; an empty lang is Go (stack
// files written before the builder knew other languages).
func parseLang(s string) (Lang, error) {
	l := Lang(strings.ToLower(strings.TrimSpace(s)))
	if l == "" {
		return LangGo, nil
	}
	for _, k := range Langs() {
		if l == k {
			return k, nil
		}
	}
	known := make([]string, 0, len(Langs()))
	for _, k := range Langs() {
		known = append(known, string(k))
	}
	return "", fmt.Errorf("%w: unknown lang %q (known: %s)", ErrStack, s, strings.Join(known, ", "))
}

// output is what a Rust or C build makes.
type output int

const (
	// outputNative: a static native executable.
	outputNative output = iota
	// outputCommand: a wasm32-wasi command module (exports _start).
	outputCommand
	// outputReactor: a wasm32-wasi reactor module, linked with wasi-libc's
	// reactor start-up (exports _initialize); the SDK's reactor macro
	// (Rust faas_wasm_fn::reactor!, C FW_REACTOR) exports faas_handle.
	outputReactor
)

// WasmShape returns the module shape the Wasm entry f builds: its
// ShapeAnnotation, defaulted per language (see wasmShape).
//
// # Errors
//
// An unknown lang, or a shape the language does not build (ErrStack).
func WasmShape(f Function) (Shape, error) {
	lang, err := parseLang(f.Lang)
	if err != nil {
		return "", err
	}
	return wasmShape(lang, f.Annotations[ShapeAnnotation])
}

// wasmShape returns the module shape a Wasm entry asks for, defaulted per
// language: Go defaults to snapshot; Rust and C build command modules (the
// default) or reactors (for warm mode), no snapshots: an instance of one
// starts in microseconds, so there is nothing to pre-initialise.
func wasmShape(l Lang, annotation string) (Shape, error) {
	s := Shape(strings.ToLower(strings.TrimSpace(annotation)))
	switch {
	case l == LangGo && s == "":
		return ShapeSnapshot, nil
	case l == LangGo:
		return s, nil
	case s == "" || s == ShapeCommand:
		return ShapeCommand, nil
	case s == ShapeReactor:
		return ShapeReactor, nil
	}
	return "", fmt.Errorf("%w: %s builds command and reactor modules, not %s %q", ErrStack, l, ShapeAnnotation, s)
}

// wasmStackSize returns the shadow stack, in bytes, a Wasm entry asks for
// with StackSizeAnnotation (see rustflags.ParseStackSize), defaulted per
// language: rustflags.DefaultStackSize for Rust, and 0 for C, which keeps
// wasm-ld's 64 KiB. A Go module has no such stack (goroutine stacks live in
// its heap), so the annotation is refused for Go.
func wasmStackSize(l Lang, annotation string) (int, error) {
	if l == LangGo {
		if annotation != "" {
			return 0, fmt.Errorf("%w: %s applies to Rust and C only, not %s", ErrStack, StackSizeAnnotation, l)
		}
		return 0, nil
	}
	if l == LangC && strings.TrimSpace(annotation) == "" {
		return 0, nil
	}
	n, err := rustflags.ParseStackSize(annotation)
	if err != nil {
		return 0, fmt.Errorf("%w: %s: %v", ErrStack, StackSizeAnnotation, err)
	}
	return n, nil
}
