#!/usr/bin/env bash
# Stops the containerd that start.sh launched in the background (by the pid
# in $CONTAINERD_PIDFILE, default /run/faas-wasm-containerd.pid). A containerd
# managed by systemd, or started by anyone else, is left alone. Running tasks
# keep running (their shims are separate processes). Safe to run twice.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

pidfile=${CONTAINERD_PIDFILE:-/run/faas-wasm-containerd.pid}
[ -f "$pidfile" ] || exit 0
if pidfile_runs containerd "$pidfile"; then
  pid=$(cat "$pidfile")
  kill "$pid"
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
fi
rm -f "$pidfile"
