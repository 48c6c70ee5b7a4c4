package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRegistryFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr bool
		out     string
	}{
		{"help", []string{"--help"}, false, "Usage: faas-wasm registry"},
		{"unknown flag", []string{"--nope"}, true, "flag provided but not defined"},
		{"extra argument", []string{"extra"}, true, ""},
		{"bad address", []string{"--addr", "127.0.0.1:99999"}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := runRegistry(context.Background(), tt.args, &out)
			if (err != nil) != tt.wantErr || !strings.Contains(out.String(), tt.out) {
				t.Fatalf("err %v, output %q", err, out.String())
			}
		})
	}
}

func TestUnknownVerb(t *testing.T) {
	var out, errOut bytes.Buffer
	for _, args := range [][]string{nil, {"deploy"}} {
		if err := run(context.Background(), args, &out, &errOut); err == nil || !strings.Contains(errOut.String(), "Usage: faas-wasm-tools") {
			t.Errorf("%q: err %v, stderr %q", args, err, errOut.String())
		}
	}
}
