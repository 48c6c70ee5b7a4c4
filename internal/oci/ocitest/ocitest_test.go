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
