#!/usr/bin/env bash
# Makes sure a containerd answers on $CONTAINERD_SOCKET (default
# /run/containerd/containerd.sock), for `make run` and `make test`.
# Idempotent: if the socket answers, nothing happens. Otherwise the packages
# are installed if needed and containerd is started — through systemd when
# systemd runs, else in the background with a pid file and a log:
#   $CONTAINERD_PIDFILE (default /run/faas-wasm-containerd.pid)
#   $CONTAINERD_LOG     (default /var/log/faas-wasm-containerd.log)
# Without root it only reports what is missing (the Wasm side of faas-wasm
# works without containerd) and exits 0.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
LOG_PREFIX=containerd/start

socket=${CONTAINERD_SOCKET:-/run/containerd/containerd.sock}
pidfile=${CONTAINERD_PIDFILE:-/run/faas-wasm-containerd.pid}
logfile=${CONTAINERD_LOG:-/var/log/faas-wasm-containerd.log}
here=$(cd "$(dirname "$0")" && pwd)

answering() {
  [ -S "$socket" ] && ctr --address "$socket" version >/dev/null 2>&1
}

if command -v ctr >/dev/null && answering; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  log "containerd is not answering on $socket and starting it needs root;" \
    "container functions will be unavailable (Wasm functions still work)"
  exit 0
fi

"$here/install.sh"

if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
  systemctl start containerd
else
  if pidfile_runs containerd "$pidfile"; then
    log "containerd (pid $(cat "$pidfile")) runs but does not answer yet"
  else
    mkdir -p "$(dirname "$socket")" "$(dirname "$logfile")"
    args=()
    if [ "$socket" != /run/containerd/containerd.sock ]; then
      args+=(--address "$socket")
    fi
    nohup containerd "${args[@]}" >>"$logfile" 2>&1 </dev/null &
    echo $! >"$pidfile"
    log "started containerd (pid $!, log $logfile)"
  fi
fi

# A loaded machine (a test cluster beside make test) can take tens of
# seconds to start containerd.
for _ in $(seq 1 600); do
  if answering; then
    exit 0
  fi
  sleep 0.1
done
die "containerd does not answer on $socket after 60 s; see $logfile"
