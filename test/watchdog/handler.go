package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// config holds the watchdog's settings (see the package comment).
type config struct {
	process     []string
	port        string
	execTimeout time.Duration
	contentType string
	maxBody     int64
	stderr      io.Writer
}

// newHandler returns the watchdog's HTTP handler: /_/health and, for every
// other path, one fork of cfg.process per request.
func newHandler(cfg config, logger *log.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/_/health", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "OK")
	})
	mux.Handle("/", &forker{cfg: cfg, log: logger})
	return mux
}

// forker runs the function process once per request.
type forker struct {
	cfg config
	log *log.Logger
}

func (f *forker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, f.cfg.maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			http.Error(w, fmt.Sprintf("request body larger than %d bytes", f.cfg.maxBody), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "read request body: "+err.Error(), http.StatusBadRequest)
		return
	}

	ctx, cancel := context.WithTimeout(r.Context(), f.cfg.execTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, f.cfg.process[0], f.cfg.process[1:]...)
	cmd.Env = append(os.Environ(), requestEnv(r)...)
	cmd.Stdin = bytes.NewReader(body)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = f.cfg.stderr
	cmd.WaitDelay = time.Second

	f.log.Printf("Forking fprocess.")
	runErr := cmd.Run()
	elapsed := time.Since(start)
	w.Header().Set("X-Duration-Seconds", strconv.FormatFloat(elapsed.Seconds(), 'f', 6, 64))

	if runErr != nil {
		status := http.StatusInternalServerError
		msg := fmt.Sprintf("fprocess failed: %v", runErr)
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			status = http.StatusGatewayTimeout
			msg = fmt.Sprintf("fprocess killed after exec_timeout %s", f.cfg.execTimeout)
		}
		f.log.Printf("%s", msg)
		http.Error(w, msg, status)
		return
	}

	w.Header().Set("Content-Type", f.contentType(r))
	w.WriteHeader(http.StatusOK)
	n, _ := w.Write(stdout.Bytes())
	f.log.Printf("Wrote %d Bytes - Duration: %f seconds", n, elapsed.Seconds())
}

// contentType picks the response Content-Type: configured, else the request's.
func (f *forker) contentType(r *http.Request) string {
	if f.cfg.contentType != "" {
		return f.cfg.contentType
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		return ct
	}
	return "text/plain; charset=utf-8"
}

// requestEnv returns the classic watchdog's request variables: Http_Method,
// Http_Path, Http_Query (when non-empty), Http_Host, Http_ContentLength and
// one Http_<Header_Name> per header, dashes turned into underscores
// (X-Call-Id becomes Http_X_Call_Id). Repeated headers are joined with ", ".
func requestEnv(r *http.Request) []string {
	env := []string{
		"Http_Method=" + r.Method,
		"Http_Path=" + r.URL.Path,
		"Http_Host=" + r.Host,
		"Http_ContentLength=" + strconv.FormatInt(r.ContentLength, 10),
	}
	if r.URL.RawQuery != "" {
		env = append(env, "Http_Query="+r.URL.RawQuery)
	}
	for name, values := range r.Header {
		key := "Http_" + strings.ReplaceAll(name, "-", "_")
		env = append(env, key+"="+strings.Join(values, ", "))
	}
	return env
}
