/*
 * faaswasm.c — see faaswasm.h. One file: shared response/HTTP-client code,
 * then the Wasm command and reactor forms (__wasi__), then the native
 * fork-per-connection HTTP/1.1 server.
 */
#ifndef __wasi__
#define _GNU_SOURCE /* ppoll, memmem */
#endif
#define _DEFAULT_SOURCE
#include "faaswasm.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FW_MAX_OUT_HEADERS 32

/* ---- growable byte buffer ---- */
typedef struct { char *p; size_t n, cap; } fw_buf;

static void bput(fw_buf *b, const void *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + n + 1) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) { fputs("faaswasm: out of memory\n", stderr); exit(1); }
    b->p = p, b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = 0;
}

static void bprintf(fw_buf *b, const char *fmt, ...) {
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0) bput(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* ---- per-request response state ---- */
static struct {
  int responded;
  int nhdr;
  char *hdr[FW_MAX_OUT_HEADERS]; /* "Name: value" */
  struct timespec start;
} rs_;

static void reset_response(void) {
  for (int i = 0; i < rs_.nhdr; i++) free(rs_.hdr[i]);
  memset(&rs_, 0, sizeof rs_);
  clock_gettime(CLOCK_MONOTONIC, &rs_.start);
}

static int is_framing(const char *name, size_t n) {
  static const char *f[] = {"Content-Length", "Transfer-Encoding", "Connection", "X-Duration-Seconds", "Status"};
  for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
    if (strlen(f[i]) == n && strncasecmp(f[i], name, n) == 0) return 1;
  return 0;
}

void fw_add_header(const char *name, const char *value) {
  if (!name || !*name || !value || rs_.nhdr >= FW_MAX_OUT_HEADERS || is_framing(name, strlen(name))) return;
  size_t n = strlen(name), v = strlen(value);
  char *h = malloc(n + v + 3);
  if (!h) return;
  memcpy(h, name, n);
  memcpy(h + n, ": ", 2);
  for (size_t i = 0; i < v; i++) h[n + 2 + i] = (value[i] == '\r' || value[i] == '\n') ? ' ' : value[i];
  h[n + 2 + v] = 0;
  rs_.hdr[rs_.nhdr++] = h;
}

static const char *reason(int s) {
  switch (s) {
  case 200: return "OK"; case 201: return "Created"; case 202: return "Accepted";
  case 204: return "No Content"; case 301: return "Moved Permanently"; case 302: return "Found";
  case 304: return "Not Modified"; case 400: return "Bad Request"; case 401: return "Unauthorized";
  case 403: return "Forbidden"; case 404: return "Not Found"; case 405: return "Method Not Allowed";
  case 408: return "Request Timeout"; case 411: return "Length Required";
  case 413: return "Request Entity Too Large"; case 431: return "Request Header Fields Too Large";
  case 500: return "Internal Server Error"; case 502: return "Bad Gateway";
  case 503: return "Service Unavailable"; case 504: return "Gateway Timeout";
  default: return "Status";
  }
}

/* The part of the header block both forms share: Content-Type, queued
 * headers, X-Duration-Seconds. */
static void common_headers(fw_buf *h, const char *content_type) {
  if (content_type && *content_type) bprintf(h, "Content-Type: %s\r\n", content_type);
  for (int i = 0; i < rs_.nhdr; i++) { bput(h, rs_.hdr[i], strlen(rs_.hdr[i])); bput(h, "\r\n", 2); }
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  long long us = (now.tv_sec - rs_.start.tv_sec) * 1000000LL + (now.tv_nsec - rs_.start.tv_nsec) / 1000;
  bprintf(h, "X-Duration-Seconds: %lld.%06lld\r\n", us / 1000000, us % 1000000);
}

static void emit(int status, const char *content_type, const void *body, size_t len);

void fw_respond(int status, const char *content_type, const void *body, size_t len) {
  if (rs_.responded) { fputs("faaswasm: fw_respond called twice; ignored\n", stderr); return; }
  rs_.responded = 1;
  if (status < 100 || status > 999) status = 500;
  emit(status, content_type, body, body ? len : 0);
}

static int health(const fw_request *r, int draining) {
  if (strcmp(r->path, "/_/health") != 0 || (strcmp(r->method, "GET") && strcmp(r->method, "HEAD"))) return 0;
  const char *b = draining ? "draining" : "OK";
  fw_respond(draining ? 503 : 200, "text/plain; charset=utf-8", b, strlen(b));
  return 1;
}

/* Runs the handler (or health) for one request and makes sure exactly one
 * response is sent. Returns the handler's result. */
static int dispatch(fw_handler h, const fw_request *r, int draining) {
  if (health(r, draining)) return 0;
  int rc = h(r);
  if (!rc && !rs_.responded) fw_respond(200, NULL, "", 0);
  if (rc && !rs_.responded) {
    static const char msg[] = "handler failed\n";
    fw_respond(500, "text/plain; charset=utf-8", msg, sizeof msg - 1);
  }
  return rc;
}

/* ---- query parameters ---- */
static int hexv(int c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* URL-decodes s[0..n) into out (size bytes incl. NUL). */
static void url_decode(const char *s, size_t n, char *out, size_t size) {
  size_t o = 0;
  for (size_t i = 0; i < n && o + 1 < size; i++) {
    if (s[i] == '+') out[o++] = ' ';
    else if (s[i] == '%' && i + 2 < n && hexv(s[i + 1]) >= 0 && hexv(s[i + 2]) >= 0) {
      out[o++] = (char)(hexv(s[i + 1]) << 4 | hexv(s[i + 2]));
      i += 2;
    } else out[o++] = s[i];
  }
  if (size) out[o] = 0;
}

char *fw_query_param(const fw_request *req, const char *key, char *buf, size_t size) {
  const char *q = req->query;
  char k[256];
  while (q && *q) {
    size_t n = strcspn(q, "&;");
    const char *eq = memchr(q, '=', n);
    size_t kn = eq ? (size_t)(eq - q) : n;
    url_decode(q, kn, k, sizeof k);
    if (n && strcmp(k, key) == 0) {
      if (eq) url_decode(eq + 1, n - kn - 1, buf, size);
      else if (size) buf[0] = 0;
      return buf;
    }
    q += n + (q[n] != 0);
  }
  return NULL;
}

/* ---- outbound HTTP: shared message encoding and parsing ---- */
static int http_transport(const char *url, const char *host, const char *msg, size_t len, fw_buf *resp);

static void http_fail(fw_http_response *out, const char *msg) {
  size_t n = strlen(msg);
  out->raw_ = malloc(n + 1);
  if (out->raw_) memcpy(out->raw_, msg, n + 1);
  out->status = 0, out->body = out->raw_ ? out->raw_ : "", out->body_len = out->raw_ ? n : 0;
}

/* Parses a response message in place; body points into raw. */
static int http_parse(char *raw, size_t n, fw_http_response *out, int head) {
  char *end = strstr(raw, "\r\n\r\n");
  if (!end || strncmp(raw, "HTTP/1.", 7) != 0 || n < 12) return -1;
  int status = atoi(raw + 9);
  if (status < 100 || status > 999) return -1;
  char *body = end + 4;
  size_t avail = n - (size_t)(body - raw), blen = avail;
  int chunked = 0;
  for (char *l = strstr(raw, "\r\n") + 2; l < end; l = strstr(l, "\r\n") + 2) {
    if (!strncasecmp(l, "Content-Length:", 15)) blen = strtoul(l + 15, NULL, 10);
    if (!strncasecmp(l, "Transfer-Encoding:", 18) && strstr(l, "chunked") && strstr(l, "chunked") < strstr(l, "\r\n")) chunked = 1;
  }
  if (head || status == 204 || status == 304 || status < 200) blen = 0;
  else if (chunked) { /* de-chunk in place */
    char *r = body, *w = body, *lim = body + avail;
    for (;;) {
      char *e;
      size_t sz = strtoul(r, &e, 16);
      char *nl = strstr(r, "\r\n");
      if (!nl || e == r || nl + 2 + sz > lim) return -1;
      if (sz == 0) break;
      memmove(w, nl + 2, sz);
      w += sz, r = nl + 2 + sz + 2;
      if (r > lim) return -1;
    }
    blen = (size_t)(w - body);
  } else if (blen > avail) return -1;
  body[blen] = 0;
  out->status = status, out->body = body, out->body_len = blen;
  return 0;
}

int fw_http(const char *method, const char *url, const char *headers,
            const void *body, size_t body_len, fw_http_response *out) {
  memset(out, 0, sizeof *out);
  const char *p = strstr(url, "://");
  if (!p || (strncasecmp(url, "http", 4) != 0)) { http_fail(out, "fw_http: need an absolute http:// URL"); return -1; }
  const char *h = p + 3;
  size_t hn = strcspn(h, "/?#");
  if (!hn) { http_fail(out, "fw_http: URL without host"); return -1; }
  char host[256];
  snprintf(host, sizeof host, "%.*s", (int)hn, h);
  fw_buf m = {0};
  const char *path = h + hn;
  size_t pn = strcspn(path, "#");
#ifdef __wasi__
  bprintf(&m, "%s %.*s%s%.*s HTTP/1.1\r\n", method, (int)(path - url), url, *path == '/' ? "" : "/", (int)pn, path);
#else
  bprintf(&m, "%s %s%.*s HTTP/1.1\r\nConnection: close\r\n", method, *path == '/' ? "" : "/", (int)pn, path);
#endif
  bprintf(&m, "Host: %s\r\n", host);
  if (headers) bput(&m, headers, strlen(headers));
  if (body_len || !strcmp(method, "POST") || !strcmp(method, "PUT") || !strcmp(method, "PATCH"))
    bprintf(&m, "Content-Length: %zu\r\n", body_len);
  bput(&m, "\r\n", 2);
  if (body_len) bput(&m, body, body_len);
  fw_buf r = {0};
  int rc = http_transport(url, host, m.p, m.n, &r);
  free(m.p);
  if (rc < 0) { http_fail(out, r.p ? r.p : "fw_http: request failed"); free(r.p); return -1; }
  if (!r.p || http_parse(r.p, r.n, out, !strcmp(method, "HEAD")) < 0) {
    free(r.p);
    http_fail(out, "fw_http: malformed response");
    return -1;
  }
  out->raw_ = r.p;
  return 0;
}

void fw_http_free(fw_http_response *resp) {
  free(resp->raw_);
  memset(resp, 0, sizeof *resp);
}

/* ---- secrets ---- */

/* secret_fail writes the message to buf, sets errno to err and returns -1. */
static long secret_fail(char *buf, size_t size, int err, const char *fmt, ...) {
  if (size > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
  }
  errno = err;
  return -1;
}

/* read_secret is fw_secret reading from dir instead of FW_SECRETS_PATH. A
 * failed open is "not found" when the file is missing or dir itself cannot
 * be reached: a Wasm function without secrets has no preopen there, and
 * what that gives depends on the libc (wasi-libc: ENOTCAPABLE). */
static long read_secret(const char *dir, const char *name, char *buf, size_t size) {
  if (!name[0] || !strcmp(name, ".") || !strcmp(name, "..") || strchr(name, '/'))
    return secret_fail(buf, size, EINVAL, "secret \"%s\": invalid name", name);
  char path[1024];
  if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
    return secret_fail(buf, size, ENAMETOOLONG, "secret %s: name too long", name);
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    int err = errno;
    struct stat st;
    if (err == ENOENT || stat(dir, &st) != 0) return secret_fail(buf, size, ENOENT, "secret %s not found", name);
    return secret_fail(buf, size, err, "secret %s: %s", name, strerror(err));
  }
  size_t n = 0;
  for (;;) {
    char one;
    ssize_t got = n + 1 < size ? read(fd, buf + n, size - 1 - n) : read(fd, &one, 1);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      int err = errno;
      close(fd);
      return secret_fail(buf, size, err, "secret %s: %s", name, strerror(err));
    }
    if (got == 0) break;
    if (n + 1 >= size) {
      close(fd);
      return secret_fail(buf, size, EFBIG, "secret %s: larger than %zu bytes", name, size ? size - 1 : 0);
    }
    n += (size_t)got;
  }
  close(fd);
  buf[n] = 0;
  return (long)n;
}

long fw_secret(const char *name, char *buf, size_t size) {
  if (size == 0) return secret_fail(buf, size, EINVAL, "");
  return read_secret(FW_SECRETS_PATH, name, buf, size);
}

#ifdef __wasi__
/* ================= Wasm command form ================= */

__attribute__((import_module("faas_http"), import_name("request"))) int32_t faas_http_request(const void *p, int32_t n);
__attribute__((import_module("faas_http"), import_name("response_len"))) int32_t faas_http_response_len(int32_t h);
__attribute__((import_module("faas_http"), import_name("response_read"))) int32_t faas_http_response_read(int32_t h, void *p, int32_t n);
__attribute__((import_module("faas_http"), import_name("close"))) void faas_http_close(int32_t h);

static int http_transport(const char *url, const char *host, const char *msg, size_t len, fw_buf *resp) {
  (void)url, (void)host;
  int32_t h = faas_http_request(msg, (int32_t)len);
  int32_t n = faas_http_response_len(h);
  if (n > 0) {
    char *p = malloc((size_t)n + 1);
    if (!p) return -1;
    int32_t got = faas_http_response_read(h, p, n);
    resp->p = p, resp->n = got > 0 ? (size_t)got : 0, resp->cap = (size_t)n + 1;
    p[resp->n] = 0;
  }
  if (h < 0) return -1;
  faas_http_close(h);
  return 0;
}

static void emit(int status, const char *content_type, const void *body, size_t len) {
  fw_buf h = {0};
  bprintf(&h, "Status: %d %s\r\n", status, reason(status));
  common_headers(&h, content_type);
  bput(&h, "\r\n", 2);
  fwrite(h.p, 1, h.n, stdout);
  if (len) fwrite(body, 1, len, stdout);
  fflush(stdout);
  free(h.p);
}

/* The request variables of the reactor call being served ("KEY=VALUE",
 * pointing into its envelope), or NULL outside one: a command module has
 * them in its environment. */
static char **vars_;
static size_t nvars_;

static const char *req_var(const char *name) {
  if (!vars_) return getenv(name);
  size_t n = strlen(name);
  for (size_t i = 0; i < nvars_; i++)
    if (!strncmp(vars_[i], name, n) && vars_[i][n] == '=') return vars_[i] + n + 1;
  return NULL;
}

static const char *env2(const char *a, const char *b, const char *def) {
  const char *v = req_var(a);
  if (!v || !*v) v = req_var(b);
  return v && *v ? v : def;
}

const char *fw_header(const fw_request *req, const char *name) {
  (void)req;
  char env[256];
  const char *v;
  if (!strcasecmp(name, "Content-Type") && (v = req_var("CONTENT_TYPE"))) return v;
  if (!strcasecmp(name, "Content-Length") && (v = req_var("CONTENT_LENGTH"))) return v;
  size_t n = strlen(name);
  if (n + 6 > sizeof env) return NULL;
  memcpy(env, "HTTP_", 5);
  for (size_t i = 0; i <= n; i++) env[5 + i] = name[i] == '-' ? '_' : (char)toupper((unsigned char)name[i]);
  return req_var(env);
}

/* Serves one request: the request variables say what it is, b holds its
 * body (cut to CONTENT_LENGTH here) and is freed. Returns 0, or 1 when the
 * handler failed. */
static int serve(fw_handler handler, fw_buf *b) {
  reset_response();
  fw_request r;
  r.method = env2("REQUEST_METHOD", "Http_Method", "GET");
  r.path = env2("PATH_INFO", "Http_Path", "/");
  r.query = env2("QUERY_STRING", "Http_Query", "");
  const char *cl = req_var("CONTENT_LENGTH");
  if (cl && *cl && strtoul(cl, NULL, 10) < b->n) b->n = strtoul(cl, NULL, 10);
  bput(b, "", 0); /* NUL-terminate, even when empty */
  r.body = b->p, r.body_len = b->n;
  int rc = dispatch(handler, &r, 0);
  free(b->p);
  return rc ? 1 : 0;
}

int fw_run(fw_handler handler) {
  fw_buf b = {0};
  char chunk[16384];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) bput(&b, chunk, n);
  return serve(handler, &b);
}

/* Splits the envelope in in (in->n bytes) in place: its variable lines get
 * NUL-terminated and listed in vars_, the body is copied to body. Returns 0,
 * or -1 with a message on stderr. */
static int split_envelope(fw_buf *in, fw_buf *body) {
  size_t pos = 0, cap = 0;
  for (;;) {
    char *nl = in->n > pos ? memchr(in->p + pos, '\n', in->n - pos) : NULL;
    if (!nl) { fputs("faaswasm: envelope: no empty line ends the variables\n", stderr); return -1; }
    size_t end = (size_t)(nl - in->p);
    if (end == pos) break;
    *nl = 0;
    if (!strchr(in->p + pos, '=')) { fprintf(stderr, "faaswasm: envelope: line \"%s\" has no '='\n", in->p + pos); return -1; }
    if (nvars_ == cap) {
      cap = cap ? 2 * cap : 32;
      char **v = realloc(vars_, cap * sizeof *vars_);
      if (!v) { fputs("faaswasm: envelope: out of memory\n", stderr); return -1; }
      vars_ = v;
    }
    vars_[nvars_++] = in->p + pos;
    pos = end + 1;
  }
  bput(body, in->p + pos + 1, in->n - pos - 1);
  return 0;
}

int fw_reactor_call(fw_handler handler) {
  fw_buf in = {0}, body = {0};
  char chunk[16384];
  ssize_t n;
  /* read(2), not stdio: stdin's FILE would stay at EOF for the next call. */
  while ((n = read(0, chunk, sizeof chunk)) > 0) bput(&in, chunk, (size_t)n);
  int rc = 1;
  if (n < 0) {
    fprintf(stderr, "faaswasm: read envelope: %s\n", strerror(errno));
  } else if (split_envelope(&in, &body) == 0) {
    rc = serve(handler, &body);
  }
  free(vars_);
  vars_ = NULL, nvars_ = 0;
  free(in.p);
  return rc;
}

#else
/* ================= native HTTP/1.1 server ================= */
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

static volatile sig_atomic_t stop_;
static int conn_ = -1;          /* this child's connection */
static int keep_ = 1, head_ = 0; /* keep-alive after this response; HEAD request */
static int nreqh_;
static char *reqh_name_[128], *reqh_val_[128];

static void on_stop(int sig) { (void)sig; stop_ = 1; }
static void on_chld(int sig) { (void)sig; }

/* Go duration ("1m30s", "500ms") or plain seconds from env var name. */
static double env_secs(const char *name, double def) {
  const char *v = getenv(name), *p = v;
  char *e;
  if (!v || !*v) return def;
  double x = strtod(v, &e), total = 0;
  if (*e == 0) return x > 0 ? x : def;
  while (*p) {
    x = strtod(p, &e);
    if (e == p) return def;
    double mul;
    if (!strncmp(e, "ns", 2)) mul = 1e-9, e += 2;
    else if (!strncmp(e, "us", 2)) mul = 1e-6, e += 2;
    else if (!strncmp(e, "ms", 2)) mul = 1e-3, e += 2;
    else if (*e == 's') mul = 1, e++;
    else if (*e == 'm') mul = 60, e++;
    else if (*e == 'h') mul = 3600, e++;
    else return def;
    total += x * mul, p = e;
  }
  return total > 0 ? total : def;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w, n -= (size_t)w;
  }
  return 0;
}

static void emit(int status, const char *content_type, const void *body, size_t len) {
  fw_buf h = {0};
  bprintf(&h, "HTTP/1.1 %d %s\r\n", status, reason(status));
  common_headers(&h, content_type);
  bprintf(&h, "Content-Length: %zu\r\n%s\r\n", len, keep_ ? "" : "Connection: close\r\n");
  if (!head_ && len) bput(&h, body, len);
  write_all(conn_, h.p, h.n);
  free(h.p);
}

const char *fw_header(const fw_request *req, const char *name) {
  (void)req;
  for (int i = 0; i < nreqh_; i++)
    if (!strcasecmp(reqh_name_[i], name)) return reqh_val_[i];
  return NULL;
}

/* Waits until fd is readable: 1 ready, 0 timeout or stop while idle, -1 error.
 * The stop signals are blocked except inside ppoll, so none is lost. */
static int wait_readable(int fd, double secs, int idle, const sigset_t *open) {
  for (;;) {
    if (idle && stop_) return 0;
    struct pollfd pf = {fd, POLLIN, 0};
    struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
    int r = ppoll(&pf, 1, &ts, open);
    if (r < 0 && errno == EINTR) continue;
    return r;
  }
}

static void refuse(int status, const char *msg) {
  keep_ = 0;
  fw_respond(status, "text/plain; charset=utf-8", msg, strlen(msg));
}

/* Serves requests on one connection until it closes, times out, asks for
 * close, or stop_ is set between requests. */
static void serve_conn(int fd, fw_handler h, double read_to, double write_to, size_t max_body, const sigset_t *open) {
  enum { HMAX = 64 * 1024 };
  char *buf = malloc(HMAX + 1);
  size_t len = 0;
  conn_ = fd;
  while (buf) {
    char *end;
    while (!(end = memmem(buf, len, "\r\n\r\n", 4))) {
      reset_response();
      head_ = 0;
      if (len == HMAX) { refuse(431, "request header too large\n"); goto out; }
      if (wait_readable(fd, len ? read_to : 120, len == 0, open) <= 0) goto out;
      ssize_t n = read(fd, buf + len, HMAX - len);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) goto out;
      len += (size_t)n;
    }
    reset_response();
    size_t hlen = (size_t)(end - buf) + 4;
    *end = 0;
    char *p = strstr(buf, "\r\n");
    if (p) *p = 0, p += 2; else p = end;
    char *method = buf, *target = strchr(buf, ' '), *version = target ? strchr(target + 1, ' ') : NULL;
    if (!target || !version || *(target + 1) != '/') { refuse(400, "bad request line\n"); goto out; }
    *target++ = 0, *version++ = 0;
    char *query = strchr(target, '?');
    if (query) *query++ = 0; else query = "";
    head_ = !strcmp(method, "HEAD");
    keep_ = !strcmp(version, "HTTP/1.1");
    nreqh_ = 0;
    size_t cl = 0;
    int te = 0;
    while (p < end) {
      char *e = strstr(p, "\r\n"), *colon = strchr(p, ':');
      if (e) *e = 0;
      if (colon && nreqh_ < 128) {
        *colon = 0;
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t') v++;
        for (char *t = v + strlen(v); t > v && (t[-1] == ' ' || t[-1] == '\t');) *--t = 0;
        reqh_name_[nreqh_] = p, reqh_val_[nreqh_++] = v;
        if (!strcasecmp(p, "Content-Length")) cl = strtoull(v, NULL, 10);
        if (!strcasecmp(p, "Transfer-Encoding")) te = 1;
        if (!strcasecmp(p, "Connection")) keep_ = !strcasecmp(v, "keep-alive") ? 1 : !strcasecmp(v, "close") ? 0 : keep_;
      }
      p = e ? e + 2 : end;
    }
    if (te) { refuse(411, "chunked request bodies are not supported; send Content-Length\n"); goto out; }
    if (cl > max_body) { refuse(413, "request body too large\n"); goto out; }
    char *body = malloc(cl + 1);
    if (!body) goto out;
    size_t have = len - hlen < cl ? len - hlen : cl;
    memcpy(body, buf + hlen, have);
    while (have < cl) {
      if (wait_readable(fd, read_to, 0, open) <= 0) { free(body); refuse(408, "request body not read within read_timeout\n"); goto out; }
      ssize_t n = read(fd, body + have, cl - have);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) { free(body); goto out; }
      have += (size_t)n;
    }
    body[cl] = 0;
    if (stop_) keep_ = 0;
    fw_request r = {method, target, query, body, cl};
    /* write_timeout: SIGALRM (default action) ends this child, closing the
     * connection without a response, like the Go SDK's WriteTimeout. */
    struct itimerval it = {{0, 0}, {(time_t)write_to, (long)((write_to - (double)(time_t)write_to) * 1e6)}};
    setitimer(ITIMER_REAL, &it, NULL);
    dispatch(h, &r, stop_);
    memset(&it, 0, sizeof it);
    setitimer(ITIMER_REAL, &it, NULL);
    free(body);
    size_t used = hlen + (len - hlen < cl ? len - hlen : cl);
    memmove(buf, buf + used, len - used);
    len -= used;
    if (!keep_) break;
  }
out:
  free(buf);
  close(fd);
}

static void reap(pid_t *kids, size_t *nk) {
  pid_t pid;
  while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
    for (size_t i = 0; i < *nk; i++)
      if (kids[i] == pid) { kids[i] = kids[--*nk]; break; }
}

int fw_run(fw_handler handler) {
  const char *port = getenv("PORT");
  if (!port || !*port) port = "8080";
  double read_to = env_secs("read_timeout", 10), write_to = env_secs("write_timeout", 60);
  double drain = env_secs("drain_timeout", 10);
  const char *mb = getenv("max_body_bytes");
  size_t max_body = mb && strtoull(mb, NULL, 10) > 0 ? strtoull(mb, NULL, 10) : (size_t)32 << 20;

  struct sigaction sa = {0};
  sa.sa_handler = on_stop; /* no SA_RESTART: waits wake up */
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sa.sa_handler = on_chld;
  sigaction(SIGCHLD, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  sigset_t block, open;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM), sigaddset(&block, SIGINT), sigaddset(&block, SIGCHLD);
  sigprocmask(SIG_BLOCK, &block, &open);

  int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET, addr.sin_port = htons((uint16_t)atoi(port)), addr.sin_addr.s_addr = htonl(INADDR_ANY);
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ls < 0 || bind(ls, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(ls, 128) < 0) {
    fprintf(stderr, "faaswasm: listen on port %s: %s\n", port, strerror(errno));
    return 1;
  }
  fprintf(stderr, "function listening on :%s\n", port);
  pid_t *kids = NULL;
  size_t nk = 0, ck = 0;
  while (!stop_) {
    reap(kids, &nk);
    if (wait_readable(ls, 3600, 1, &open) <= 0) continue;
    int c = accept(ls, NULL, NULL);
    if (c < 0) continue;
    pid_t pid = fork();
    if (pid == 0) {
      close(ls);
      signal(SIGCHLD, SIG_DFL);
      serve_conn(c, handler, read_to, write_to, max_body, &open);
      _exit(0);
    }
    close(c);
    if (pid < 0) { perror("faaswasm: fork"); continue; }
    if (nk == ck) {
      pid_t *k = realloc(kids, (ck = ck ? 2 * ck : 64) * sizeof *kids);
      if (!k) continue;
      kids = k;
    }
    kids[nk++] = pid;
  }
  /* Drain: stop accepting, tell every connection to finish its request. */
  close(ls);
  for (size_t i = 0; i < nk; i++) kill(kids[i], SIGTERM);
  struct timespec t0, now, tick = {0, 10 * 1000 * 1000};
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (;;) {
    reap(kids, &nk);
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!nk || (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9 > drain) break;
    nanosleep(&tick, NULL);
  }
  int rc = 0;
  if (nk) {
    fprintf(stderr, "faaswasm: drain: %zu connection(s) still busy after %.3gs\n", nk, drain);
    for (size_t i = 0; i < nk; i++) kill(kids[i], SIGKILL);
    rc = 1;
  }
  free(kids);
  return rc;
}

/* ---- native outbound HTTP: one connection per request, http:// only ---- */
static int http_transport(const char *url, const char *host, const char *msg, size_t len, fw_buf *resp) {
  if (strncasecmp(url, "http://", 7)) { bprintf(resp, "fw_http: only http:// URLs natively"); return -1; }
  char h[256], *port = "80";
  snprintf(h, sizeof h, "%s", host);
  char *hp = h, *close_br = strchr(h, ']');
  if (h[0] == '[' && close_br) { *close_br = 0, hp = h + 1; if (close_br[1] == ':') port = close_br + 2; }
  else if (strchr(h, ':')) { port = strchr(h, ':'); *port++ = 0; }
  struct addrinfo hints = {0}, *ai, *a;
  hints.ai_socktype = SOCK_STREAM;
  int e = getaddrinfo(hp, port, &hints, &ai);
  if (e) { bprintf(resp, "fw_http: %s: %s", host, gai_strerror(e)); return -1; }
  int fd = -1;
  for (a = ai; a; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    if (fd >= 0) close(fd), fd = -1;
  }
  freeaddrinfo(ai);
  if (fd < 0) { bprintf(resp, "fw_http: connect %s: %s", host, strerror(errno)); return -1; }
  struct timeval tv = {60, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (write_all(fd, msg, len) < 0) { close(fd); bprintf(resp, "fw_http: write %s: %s", host, strerror(errno)); return -1; }
  char chunk[16384];
  ssize_t n;
  while ((n = read(fd, chunk, sizeof chunk)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) bput(resp, chunk, (size_t)n);
  int err = n < 0 ? errno : 0;
  close(fd);
  if (err) { free(resp->p); memset(resp, 0, sizeof *resp); bprintf(resp, "fw_http: read %s: %s", host, strerror(err)); return -1; }
  return 0;
}
#endif
