/* plain-cgi: a faas-wasm function in plain C, no SDK — CGI in, CGI out.
 *   clang --target=wasm32-wasi -O2 -Wl,--strip-all -o plain.wasm plain-cgi.c
 */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  const char *q = getenv("QUERY_STRING");
  char buf[4096];
  size_t n = fread(buf, 1, sizeof buf, stdin);
  printf("Content-Type: text/plain\n\n");
  printf("query=%s\nbody=%.*s\n", q ? q : "", (int)n, buf);
  return 0;
}
