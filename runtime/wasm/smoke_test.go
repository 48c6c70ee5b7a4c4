package wasm

import (
	"context"
	"testing"
)

func TestSmoke(t *testing.T) {
	e, err := NewEngine(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, g := range [][]byte{cGuest, cmdGuest, reactorGuest, snapshotGuestT(t)} {
		m, err := e.Compile(context.Background(), g)
		if err != nil {
			t.Fatal(err)
		}
		f, err := e.NewFunction(m, Config{Name: "smoke", Env: map[string]string{"MY_VAR": "v"}, Log: func(l string) { t.Log("guest:", l) }})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := f.Invoke(context.Background(), &Request{Method: "POST", Path: "/x", RawQuery: "do=echo", Body: []byte("hello")})
		if err != nil {
			t.Fatal(m.Shape(), err)
		}
		t.Logf("%s: %d %v %q", m.Shape(), resp.Status, resp.Header, resp.Body)
		f.Close()
	}
}
