package async

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Embedded is a NATS server with JetStream running inside the provider
// (local mode), reachable only in-process: it listens on no port.
type Embedded struct {
	srv  *server.Server
	conn *nats.Conn
}

// StartEmbedded starts a JetStream server storing its streams under dir
// and accepting messages of up to maxPayload bytes, and connects to it.
//
// # Errors
// When dir cannot be made or the server does not start within 30 s.
func StartEmbedded(dir string, maxPayload int32) (*Embedded, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("async store %s: %w", dir, err)
	}
	srv, err := server.NewServer(&server.Options{
		ServerName: "faas-wasm",
		DontListen: true,
		JetStream:  true,
		StoreDir:   dir,
		MaxPayload: maxPayload,
		NoSigs:     true,
		NoLog:      true,
	})
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return nil, errors.New("embedded nats: not ready after 30s")
	}
	nc, err := nats.Connect("", nats.InProcessServer(srv), nats.Name("faas-wasm"))
	if err != nil {
		srv.Shutdown()
		return nil, fmt.Errorf("embedded nats: connect: %w", err)
	}
	return &Embedded{srv: srv, conn: nc}, nil
}

// Conn is the in-process connection to the server.
func (e *Embedded) Conn() *nats.Conn { return e.conn }

// Close disconnects and shuts the server down, flushing its store.
func (e *Embedded) Close() {
	e.conn.Close()
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
}
