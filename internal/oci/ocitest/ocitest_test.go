package ocitest

import (
	"errors"
	"net/http"
	"syscall"
	"testing"
)

func TestNewRegistry(t *testing.T) {
	host := NewRegistry(t)
	resp, err := http.Get("http://" + host + "/v2/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v2/ answered %d", resp.StatusCode)
	}
}

func TestClosedAddr(t *testing.T) {
	_, err := http.Get("http://" + ClosedAddr(t) + "/v2/")
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("err = %v, want connection refused", err)
	}
}

func TestNewCountingRegistry(t *testing.T) {
	host, counts := NewCountingRegistry(t)
	for _, path := range []string{"/v2/", "/v2/fn/x/manifests/1", "/v2/fn/x/blobs/sha256:00"} {
		resp, err := http.Get("http://" + host + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if counts.Count("ping") != 1 || counts.Count("GET manifest") != 1 || counts.Count("GET blob") != 1 {
		t.Fatalf("counted %s, want one ping, manifest and blob", counts)
	}
	counts.Reset()
	if counts.Count("ping") != 0 {
		t.Fatalf("after Reset: %s", counts)
	}
}

func TestWithCustomSection(t *testing.T) {
	module := []byte("\x00asm\x01\x00\x00\x00")
	got := WithCustomSection(module, "n", "pay")
	want := "\x00asm\x01\x00\x00\x00" + "\x00\x05\x01npay"
	if string(got) != want || string(module) != "\x00asm\x01\x00\x00\x00" {
		t.Fatalf("got %q, want %q (input unchanged)", got, want)
	}
}
