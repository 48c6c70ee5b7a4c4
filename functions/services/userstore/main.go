// Command userstore is the REST service behind the user-manager function: it
// stores user records in PostgreSQL.
//
//	POST /users       JSON user → 201, Location /users/{id}, the stored user
//	GET  /users/{id}  → 200 the user, 404 unknown
//	GET  /healthz     → 200 when the database answers, else 503
//
// The database comes from -database-url (env DATABASE_URL), a pgx connection
// string; or, with -pgdata DIR, userstore runs its own PostgreSQL server from
// Debian's postgresql-15 in DIR (see package pgserver) and stops it on exit.
// The users table is created if missing. It listens on -addr (env ADDR,
// default 127.0.0.1:8090).
//
// It has no authentication and no update or delete: it exists to give the
// study's user-manager function a real database round trip.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/faas-wasm/faas-wasm/functions/services/userstore/pgserver"
)

// errNoDatabase is returned by run when no database was configured.
var errNoDatabase = errors.New("no database: set -database-url, DATABASE_URL or -pgdata")

func main() {
	if err := run(os.Args[1:]); err != nil {
		slog.Error("userstore", "err", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("userstore", flag.ContinueOnError)
	addr := fs.String("addr", envOr("ADDR", "127.0.0.1:8090"), "listen address")
	dsn := fs.String("database-url", os.Getenv("DATABASE_URL"), "PostgreSQL connection string")
	pgdata := fs.String("pgdata", "", "run a private PostgreSQL server in this directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if *pgdata != "" {
		srv, err := pgserver.Start(ctx, *pgdata)
		if err != nil {
			return err
		}
		defer func() {
			if err := srv.Stop(context.Background()); err != nil {
				slog.Error("userstore: stop postgresql", "err", err)
			}
		}()
		*dsn = srv.DSN()
	}
	if *dsn == "" {
		return errNoDatabase
	}
	store, err := Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer store.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", *addr, err)
	}
	slog.Info("userstore listening", "addr", ln.Addr().String())
	return serve(ctx, ln, NewHandler(store))
}

func serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
