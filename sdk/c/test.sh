#!/usr/bin/env bash
# Builds the C SDK examples for wasm32-wasi and natively, tests fw_secret, then
# tests the native server: keep-alive, /_/health, X-Duration-Seconds, 413, SIGTERM drain (exit 0)
# and a bounded drain (exit 1). Needs clang + wasi-libc, cc, python3.
# Usage: sdk/c/test.sh [outdir]   (default: a temporary directory)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$(mktemp -d)}
mkdir -p "$out"
cd "$here/examples"
clang --target=wasm32-wasi -std=c11 -Wall -Wextra -Werror -O2 -Wl,--strip-all -I.. -o "$out/hello.wasm" hello.c ../faaswasm.c
clang --target=wasm32-wasi -mexec-model=reactor -std=c11 -Wall -Wextra -Werror -O2 -Wl,--strip-all -I.. -o "$out/hello-reactor.wasm" hello.c ../faaswasm.c
clang --target=wasm32-wasi -O2 -Wl,--strip-all -o "$out/plain.wasm" plain-cgi.c
cc -std=c11 -Wall -Wextra -Werror -O2 -I.. -o "$out/hello" hello.c ../faaswasm.c
echo "built: $(stat -c '%n %s' "$out"/hello.wasm "$out"/hello-reactor.wasm "$out"/plain.wasm "$out"/hello | tr '\n' ' ')"

# fw_secret: its reader on a directory of the test's own (faaswasm.c included, for
# its static read_secret), and fw_secret itself where FW_SECRETS_PATH does not exist.
sec="$out/secrets"
rm -rf "$sec" && mkdir -p "$sec/a-dir"
printf 's3cr3t\n' >"$sec/api-key"
printf x >"$sec/other"
cat >"$out/secret_test.c" <<'C'
#include "faaswasm.c"
#include <sys/stat.h>
static int failed;
static void check(int ok, const char *what, long n, const char *buf) {
  printf("%s %s (got %ld, errno %d, \"%s\")\n", ok ? "ok  " : "FAIL", what, n, errno, buf);
  if (!ok) failed = 1;
}
int main(int argc, char **argv) {
  if (argc != 2) return 2;
  const char *dir = argv[1];
  char buf[64], gone[1024], small[4];
  long n = read_secret(dir, "api-key", buf, sizeof buf);
  check(n == 7 && !strcmp(buf, "s3cr3t\n"), "fw_secret reads a secret as it is", n, buf);
  n = read_secret(dir, "missing", buf, sizeof buf);
  check(n == -1 && errno == ENOENT && !strcmp(buf, "secret missing not found"), "fw_secret: missing beside others", n, buf);
  snprintf(gone, sizeof gone, "%s/no-such-dir", dir);
  n = read_secret(gone, "api-key", buf, sizeof buf);
  check(n == -1 && errno == ENOENT && !strcmp(buf, "secret api-key not found"), "fw_secret: no secrets directory", n, buf);
  const char *bad[] = {"", ".", "..", "../etc/passwd", "a/b"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    n = read_secret(dir, bad[i], buf, sizeof buf);
    check(n == -1 && errno == EINVAL, "fw_secret refuses a name outside the directory", n, buf);
  }
  n = read_secret(dir, "api-key", small, sizeof small);
  check(n == -1 && errno == EFBIG && !strcmp(small, "sec"), "fw_secret: a secret larger than the buffer", n, small);
  n = read_secret(dir, "a-dir", buf, sizeof buf);
  check(n == -1 && errno == EISDIR && !strcmp(buf, "secret a-dir: Is a directory"), "fw_secret keeps other errors", n, buf);
  struct stat st;
  if (stat(FW_SECRETS_PATH, &st) != 0) {
    n = fw_secret("api-key", buf, sizeof buf);
    check(n == -1 && errno == ENOENT && !strcmp(buf, "secret api-key not found"), "fw_secret without " FW_SECRETS_PATH, n, buf);
  }
  return failed;
}
C
cc -std=c11 -Wall -Wextra -Werror -O2 -I.. -o "$out/secret_test" "$out/secret_test.c"
"$out/secret_test" "$sec"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PORT=$port greeting=Hi max_body_bytes=16 drain_timeout=2s "$out/hello" 2>"$out/stderr" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
python3 - "$port" "$pid" <<'PY'
import socket, sys, time, os, signal, threading
port, pid = int(sys.argv[1]), int(sys.argv[2])
for _ in range(200):
    try: socket.create_connection(("127.0.0.1", port)).close(); break
    except OSError: time.sleep(0.02)

def read_resp(f):
    status = f.readline().decode()
    hdrs = {}
    while True:
        l = f.readline().decode().strip()
        if not l: break
        k, v = l.split(":", 1); hdrs[k.lower()] = v.strip()
    body = f.read(int(hdrs.get("content-length", 0)))
    return int(status.split()[1]), hdrs, body

def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond: sys.exit(1)

s = socket.create_connection(("127.0.0.1", port)); f = s.makefile("rb")
s.sendall(b"POST /x?name=a+b HTTP/1.1\r\nHost: t\r\nX-Call-Id: 9\r\nContent-Length: 3\r\n\r\nabc")
st, h, b = read_resp(f)
check(st == 200 and b == b"Hi, a b! POST /x call=9 body=abc\n", "handler answers: %r" % b)
check(float(h["x-duration-seconds"]) >= 0 and h["x-hello"] == "1", "X-Duration-Seconds and fw_add_header")
s.sendall(b"GET /_/health HTTP/1.1\r\nHost: t\r\n\r\n")
st, h, b = read_resp(f)
check((st, b) == (200, b"OK"), "keep-alive: second request on the same connection, /_/health")
s.sendall(b"GET /fail HTTP/1.1\r\nHost: t\r\n\r\n")
check(read_resp(f)[0] == 500, "handler returning non-zero -> 500")
s.close()
s = socket.create_connection(("127.0.0.1", port)); f = s.makefile("rb")
s.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 17\r\n\r\n")
check(read_resp(f)[0] == 413, "body over max_body_bytes -> 413")
s.close()

# SIGTERM while a request is in flight: it completes, then exit 0.
s = socket.create_connection(("127.0.0.1", port)); f = s.makefile("rb")
s.sendall(b"POST /slow HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nab")  # body incomplete
time.sleep(0.2)
os.kill(pid, signal.SIGTERM)
time.sleep(0.2)
s.sendall(b"cd")
st, h, b = read_resp(f)
check(st == 200 and h.get("connection") == "close", "in-flight request finishes during drain with Connection: close")
t0 = time.time()
while time.time() - t0 < 5:
    try:
        socket.create_connection(("127.0.0.1", port)).close(); time.sleep(0.02)
    except OSError:
        print("ok   stopped accepting after SIGTERM"); break
else:
    check(False, "stopped accepting after SIGTERM")
PY
wait $pid && echo "ok   exit status 0 after a clean drain" || { echo "FAIL exit status $?"; exit 1; }

# A connection that never completes its request outlives drain_timeout: exit 1.
PORT=$port drain_timeout=300ms read_timeout=30s "$out/hello" 2>>"$out/stderr" &
pid=$!
python3 - "$port" "$pid" <<'PY'
import socket, sys, time, os, signal
port, pid = int(sys.argv[1]), int(sys.argv[2])
for _ in range(200):
    try: socket.create_connection(("127.0.0.1", port)).close(); break
    except OSError: time.sleep(0.02)
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nab")
time.sleep(0.2)
os.kill(pid, signal.SIGTERM)
time.sleep(1.0)
PY
set +e; wait $pid; rc=$?; set -e
[ $rc -eq 1 ] && echo "ok   exit status 1 when drain_timeout ends first" || { echo "FAIL exit status $rc"; exit 1; }
