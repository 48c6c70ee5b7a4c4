package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/faas-wasm/faas-wasm/internal/precompiled"
)

const keygenUsage = `Usage: faas-wasm keygen [--out PREFIX]

Writes a new ed25519 key pair for signing precompiled Wasm modules:
PREFIX.key (private, PEM PKCS #8, mode 0600) and PREFIX.pub (public, PEM).
Build with "faas-wasm build --sign-key PREFIX.key"; run the provider with
"--trusted-build-key PREFIX.pub" so that it loads the signed precompiled
modules instead of compiling them. Existing files are not overwritten.

Flags:
`

// runKeygen runs the keygen verb.
//
// # Errors
//
// flag.ErrHelp, errUsage for bad flags, precompiled.WriteKeyPair's errors.
func runKeygen(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), keygenUsage)
		fs.PrintDefaults()
	}
	out := fs.String("out", "faas-wasm-build", "path prefix of the key files (PREFIX.key, PREFIX.pub)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("keygen: %w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("keygen: %w: unexpected arguments %q", errUsage, fs.Args())
	}
	priv, pub := *out+".key", *out+".pub"
	if err := precompiled.WriteKeyPair(priv, pub); err != nil {
		return fmt.Errorf("keygen: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s (private) and %s (public)\n", priv, pub)
	return nil
}
