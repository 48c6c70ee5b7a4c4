/* C test guest of runtime/wasm (a WASI command). QUERY_STRING selects the
 * behaviour: echo (default), trap, recurse, loop, bomb, bigout, read=PATH,
 * list=PATH, secret=NAME (the C SDK's fw_secret), preopens, bigerr, fdwrite,
 * badwrite, closeout, renumber, moveout.
 * Built by the tests with the C SDK:
 *   clang --target=wasm32-wasi -O2 -I../../../../../sdk/c -o guest.wasm guest.c ../../../../../sdk/c/faaswasm.c */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <wasi/api.h>
#include "faaswasm.h"

static volatile int sink;
static void *volatile hoard[8192];

static int depth(int n) {
	volatile char pad[256];
	pad[n & 255] = (char)n;
	return depth(n + 1) + pad[0];
}

static char report[4096];
static size_t reported;

/* try calls fd_write(fd, iovs) and appends "name=errno/nwritten" to report
 * (nwritten stays 77 unless the call sets it). */
static void try(const char *name, __wasi_fd_t fd, const __wasi_ciovec_t *iovs, size_t n) {
	__wasi_size_t nw = 77;
	__wasi_errno_t e = __wasi_fd_write(fd, iovs, n, &nw);
	reported += (size_t)snprintf(report + reported, sizeof report - reported, "%s=%d/%u\n", name, e, (unsigned)nw);
}

/* fdwrite probes WASI's fd_write: partial and empty writes, every kind of
 * descriptor that is not stdout or stderr; and what fd_fdstat_get,
 * fd_filestat_get, fd_seek and fd_pwrite say of stdout and stderr. */
static void fdwrite(void) {
	__wasi_size_t nw;
	const __wasi_ciovec_t parts[] = { { (const uint8_t *)"", 0 }, { (const uint8_t *)"ab", 2 }, { (const uint8_t *)"cd", 2 } };
	const __wasi_ciovec_t empty[] = { { (const uint8_t *)"", 0 }, { (const uint8_t *)0x7fffffff, 0 } };
	const __wasi_ciovec_t msg[] = { { (const uint8_t *)"err\n", 4 } };
	const __wasi_ciovec_t wild[] = { { (const uint8_t *)0xfffffff0, 100 } };
	write(1, "Content-Type: text/plain\n\n", 26);
	try("parts", 1, parts, 3);
	try("empty", 1, empty, 2);
	try("none", 1, parts, 0);
	try("stderr", 2, msg, 1);
	try("stdin", 0, msg, 1);
	try("preopen", 3, msg, 1);
	try("unused", 99, msg, 1);
	try("unused-wild", 99, wild, 1);
	int fd = open("/var/openfaas/secrets/s", O_RDONLY);
	if (fd >= 0) try("secret", (__wasi_fd_t)fd, msg, 1);
	/* what else a guest learns of stdout and stderr */
	for (__wasi_fd_t i = 1; i <= 2; i++) {
		__wasi_fdstat_t st;
		__wasi_filestat_t fst;
		__wasi_filesize_t pos = 77;
		__wasi_errno_t e = __wasi_fd_fdstat_get(i, &st);
		reported += (size_t)snprintf(report + reported, sizeof report - reported, "fdstat%u=%d/%u/%u/%llu\n", i, e,
			st.fs_filetype, st.fs_flags, (unsigned long long)st.fs_rights_base);
		e = __wasi_fd_filestat_get(i, &fst);
		reported += (size_t)snprintf(report + reported, sizeof report - reported, "filestat%u=%d/%u/%llu\n", i, e,
			fst.filetype, (unsigned long long)fst.size);
		e = __wasi_fd_seek(i, 0, __WASI_WHENCE_CUR, &pos);
		reported += (size_t)snprintf(report + reported, sizeof report - reported, "seek%u=%d/%llu\n", i, e,
			(unsigned long long)pos);
		e = __wasi_fd_pwrite(i, msg, 1, 0, &nw);
		reported += (size_t)snprintf(report + reported, sizeof report - reported, "pwrite%u=%d\n", i, e);
	}
	write(1, report, reported);
}

/* say appends a line about a raw WASI call to report. */
static void say(const char *what, int e) {
	reported += (size_t)snprintf(report + reported, sizeof report - reported, "%s=%d\n", what, e);
}

/* lines writes lines first to first+n-1 to stderr, 64 bytes each (the
 * number, zero-padded, and a newline): in one write if whole, else one write
 * per line. */
static void lines(int first, int n, int whole) {
	static char buf[24576 * 64 + 1];
	for (int i = 0; i < n; i++) {
		snprintf(buf + (whole ? i * 64 : 0), 65, "%063d\n", first + i);
		if (!whole) write(2, buf, 64);
	}
	if (whole) write(2, buf, (size_t)n * 64);
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
	/* bigerr writes 1.5 MiB of numbered 64-byte lines to stderr in one
	 * write, then 2.5 MiB more line by line; bigerr2 1 MiB line by line,
	 * then 1.5 MiB in one write. */
	if (strcmp(q, "do=bigerr") == 0) {
		lines(0, 24576, 1);
		lines(24576, 40960, 0);
		printf("Content-Type: text/plain\n\nlogged");
		return 0;
	}
	if (strcmp(q, "do=bigerr2") == 0) {
		lines(0, 16384, 0);
		lines(16384, 24576, 1);
		printf("Content-Type: text/plain\n\nlogged");
		return 0;
	}
	if (strcmp(q, "do=fdwrite") == 0) {
		fdwrite();
		return 0;
	}
	if (strcmp(q, "do=badwrite") == 0) {
		const __wasi_ciovec_t wild[] = { { (const uint8_t *)0xfffffff0, 100 } };
		__wasi_size_t nw;
		return __wasi_fd_write(1, wild, 1, &nw);
	}
	/* closeout, renumber and moveout write a header block, change what fd 1
	 * refers to, write through the old and new numbers, and report on stderr. */
	if (strcmp(q, "do=closeout") == 0 || strcmp(q, "do=renumber") == 0 || strcmp(q, "do=moveout") == 0)
		write(1, "Content-Type: text/plain\n\n", 26);
	if (strcmp(q, "do=closeout") == 0) {
		const __wasi_ciovec_t msg[] = { { (const uint8_t *)"after close\n", 12 } };
		__wasi_size_t nw;
		say("close1", __wasi_fd_close(1));
		say("write1", __wasi_fd_write(1, msg, 1, &nw));
		write(2, report, reported);
		return 0;
	}
	if (strcmp(q, "do=renumber") == 0) {
		const __wasi_ciovec_t msg[] = { { (const uint8_t *)"onto stdout\n", 12 } };
		__wasi_size_t nw;
		say("renumber3to1", __wasi_fd_renumber(3, 1));
		say("write1", __wasi_fd_write(1, msg, 1, &nw));
		write(2, report, reported);
		return 0;
	}
	if (strcmp(q, "do=moveout") == 0) {
		const __wasi_ciovec_t zero[] = { { (const uint8_t *)"via 0\n", 6 } };
		const __wasi_ciovec_t one[] = { { (const uint8_t *)"via 1\n", 6 } };
		__wasi_size_t nw;
		say("renumber1to0", __wasi_fd_renumber(1, 0));
		say("write0", __wasi_fd_write(0, zero, 1, &nw));
		say("write1", __wasi_fd_write(1, one, 1, &nw));
		write(2, report, reported);
		return 0;
	}
	/* preopens lists the preopened directories: fd=name lines, then their count. */
	if (strcmp(q, "do=preopens") == 0) {
		printf("Content-Type: text/plain\n\n");
		int n = 0;
		for (__wasi_fd_t fd = 3;; fd++, n++) {
			__wasi_prestat_t ps;
			char name[256];
			if (__wasi_fd_prestat_get(fd, &ps) != 0) break;
			size_t len = ps.u.dir.pr_name_len < sizeof name - 1 ? ps.u.dir.pr_name_len : sizeof name - 1;
			if (__wasi_fd_prestat_dir_name(fd, (uint8_t *)name, len) != 0) len = 0;
			name[len] = 0;
			printf("%u=%s\n", (unsigned)fd, name);
		}
		printf("preopens=%d\n", n);
		return 0;
	}
	if (strncmp(q, "secret=", 7) == 0) {
		static char buf[4096];
		long n = fw_secret(q + 7, buf, sizeof buf);
		printf("Status: %d\n\n%s", n < 0 ? 404 : 200, buf);
		return 0;
	}
	if (strncmp(q, "list=", 5) == 0) {
		DIR *d = opendir(q + 5);
		if (d == NULL) {
			printf("Status: 403\n\nopendir %s failed: %s\n", q + 5, strerror(errno));
			return 0;
		}
		printf("Content-Type: text/plain\n\n");
		for (struct dirent *e; (e = readdir(d)) != NULL;)
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) printf("%s\n", e->d_name);
		closedir(d);
		return 0;
	}
	if (strncmp(q, "read=", 5) == 0) {
		FILE *f = fopen(q + 5, "r");
		if (f == NULL) {
			printf("Status: 403\n\nopen %s failed: %s\n", q + 5, strerror(errno));
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
