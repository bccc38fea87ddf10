/* fetch_bench.c N URLFILE: fetches every URL of URLFILE through the crawler's engine (curl_multi on libev, at most N
 * connections per host, no politeness delay), keeping each body in memory as the crawler does, then discarding it.
 * Prints "documents bytes seconds documents/s failures". */
#include "net/fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned long docs, bytes, failures;

static void done(void *arg, struct fetch_result *r)
{
	(void)arg;
	if (r->failed)
		failures++;
	docs++;
	bytes += r->body.len;
}

int main(int argc, char **argv)
{
	long n;
	struct buf b;
	struct strv urls;
	if (argc != 3 || parse_long(argv[1], 1, 1000, &n)) {
		fputs("usage: fetch_bench N URLFILE\n", stderr);
		return 2;
	}
	buf_init(&b, BUF_NOMAX);
	if (buf_read_file(&b, argv[2])) {
		perror(argv[2]);
		return 1;
	}
	strv_init(&urls);
	for (char *p = b.s; *p;) {
		size_t l = strcspn(p, "\n");
		if (l)
			strv_push_owned(&urls, xstrndup(p, l));
		p += l;
		if (*p)
			p++;
	}
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct fetch_opts o;
	fetch_opts_default(&o);
	o.max_host_connections = n;
	o.max_connections = n;
	o.polite_delay = 0;
	struct fetcher *f = fetcher_new(loop, &o);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < urls.n; i++) {
		struct fetch_req req = {urls.items[i], NULL, NULL, NULL, NULL};
		fetch_start(f, &req, done, NULL);
	}
	ev_run(loop, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%lu %lu %.3f %.0f %lu\n", docs, bytes, s, (double)docs / s, failures);
	fetcher_free(f);
	ev_loop_destroy(loop);
	strv_release(&urls);
	buf_release(&b);
	return failures ? 1 : 0;
}
