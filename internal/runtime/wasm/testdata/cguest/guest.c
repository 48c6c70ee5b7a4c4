/* C test guest of runtime/wasm (a WASI command). QUERY_STRING selects the
 * behaviour: echo (default), trap, recurse, loop, bomb, bigout, read=PATH.
 * Built by the tests with: clang --target=wasm32-wasi -O2 -o guest.wasm guest.c */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile int sink;
static void *volatile hoard[8192];

static int depth(int n) {
	volatile char pad[256];
	pad[n & 255] = (char)n;
	return depth(n + 1) + pad[0];
}

int main(void) {
	const char *q = getenv("QUERY_STRING");
	if (q == NULL) q = "";
	if (strcmp(q, "do=trap") == 0) __builtin_trap();
	if (strcmp(q, "do=recurse") == 0) return depth(0);
	if (strcmp(q, "do=loop") == 0) for (;;) sink++;
	if (strcmp(q, "do=bomb") == 0) {
		for (int i = 0;; i = (i + 1) % 8192) {
			char *p = malloc(1 << 20);
			if (p == NULL) {
				fprintf(stderr, "malloc failed\n");
				abort();
			}
			/* One byte per MiB: the limit bites when linear memory grows, and
			 * touching every page would make the bomb's speed depend on the
			 * machine's page-fault rate (a timeout on a loaded machine). */
			p[0] = 1;
			hoard[i] = p; /* keep it reachable so the allocation is not elided */
		}
	}
	if (strcmp(q, "do=bigout") == 0) {
		static char buf[65536];
		memset(buf, 'x', sizeof buf);
		for (long i = 0; i < 16384; i++) write(1, buf, sizeof buf);
		return 0;
	}
	if (strncmp(q, "read=", 5) == 0) {
		FILE *f = fopen(q + 5, "r");
		if (f == NULL) {
			printf("Status: 403\n\nopen %s failed\n", q + 5);
			return 0;
		}
		char buf[4096];
		size_t n;
		while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
		return 0;
	}
	printf("Content-Type: text/plain\n\n");
	char buf[4096];
	ssize_t n;
	while ((n = read(0, buf, sizeof buf)) > 0) fwrite(buf, 1, (size_t)n, stdout);
	return 0;
}
