/* search_bench.c DATA QUERIES [FACET_SAMPLE]: runs each query through tbtwarn's in-process search (query language, Xapian, the
 * hits loaded from SQLite and turned into JSON, facets counted), once to warm up and once measured, and prints
 * "queries median_us p90_us p99_us mean_us". */
#include "archive.h"
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct archive *a;
	char err[ERRBUF_SIZE];
	struct strv qs;
	struct buf b;
	if (argc != 3 && argc != 4) {
		fputs("usage: search_bench DATA QUERIES [FACET_SAMPLE]\n", stderr);
		return 2;
	}
	/* The store: the data directory's SQLite file, or PostgreSQL (bench/pg_bench.sh). */
	if (getenv("TBTWARN_DATABASE_URL") && *getenv("TBTWARN_DATABASE_URL"))
		archive_use_store(getenv("TBTWARN_DATABASE_URL"));
	if (archive_open(argv[1], ARCHIVE_READ, &a, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	buf_init(&b, BUF_NOMAX);
	if (buf_read_file(&b, argv[2])) {
		perror(argv[2]);
		return 1;
	}
	strv_init(&qs);
	for (char *p = b.s, *nl; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p) - 1;
		if (nl > p)
			strv_push_owned(&qs, xstrndup(p, (size_t)(nl - p)));
	}
	double *lat = xcalloc(qs.n, sizeof(double)), sum = 0;
	struct search_opts o = {0, 20, 0, 1, argc == 4 ? (unsigned)strtoul(argv[3], NULL, 10) : 0};
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < qs.n; i++) {
			struct timespec t0, t1;
			json_t *res;
			/* A line may carry the API's options after tabs: QUERY<TAB>date|relevance<TAB>PER_PAGE. */
			char *q = xstrdup(qs.items[i]), *tab = strchr(q, '\t');
			struct search_opts oi = o;
			if (tab) {
				*tab++ = '\0';
				oi.by_date = starts_with(tab, "date");
				char *tab2 = strchr(tab, '\t');
				if (tab2)
					oi.limit = (unsigned)strtoul(tab2 + 1, NULL, 10);
			}
			clock_gettime(CLOCK_MONOTONIC, &t0);
			int failed = archive_search(a, q, &oi, &res, err, sizeof(err));
			free(q);
			if (failed) {
				fprintf(stderr, "query '%s': %s\n", qs.items[i], err);
				return 1;
			}
			json_decref(res);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			lat[i] = (double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
			/* The slow ones, to see what the tail is made of. */
			if (pass && getenv("SEARCH_BENCH_SLOW") && lat[i] > atof(getenv("SEARCH_BENCH_SLOW")))
				fprintf(stderr, "slow %.0f us: %s\n", lat[i], qs.items[i]);
		}
	}
	for (size_t i = 0; i < qs.n; i++)
		sum += lat[i];
	qsort(lat, qs.n, sizeof(double), cmp_double);
	printf("%zu %.0f %.0f %.0f %.0f\n", qs.n, lat[qs.n / 2], lat[qs.n * 90 / 100], lat[qs.n * 99 / 100],
	       sum / (double)qs.n);
	free(lat);
	strv_release(&qs);
	buf_release(&b);
	archive_free(a);
	return 0;
}
