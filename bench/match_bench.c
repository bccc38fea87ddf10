/* match_bench.c N PAGE...: N subscriptions of realistic variety, then the notifications of the pages matched one at a
 * time through the subscription index, and (for the first 100) by checking every subscription, in the same run.
 * Prints "subscriptions notifications index_median_us index_p99_us scan_median_us scan_p99_us checked_per_doc matched_per_doc". */
#include "buf.h"
#include "classify.h"
#include "match.h"
#include "parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct notif **recs;
static size_t nrecs, caprecs;

static int on_rec(void *arg, struct notif *n)
{
	(void)arg;
	if (nrecs == caprecs) {
		caprecs = caprecs ? caprecs * 2 : 1024;
		recs = xrealloc(recs, caprecs * sizeof(*recs));
	}
	recs[nrecs++] = n;
	return 0;
}

static uint32_t rng = 2025;
static uint32_t rnd(uint32_t n)
{
	rng = rng * 1103515245u + 12345u;
	return ((rng >> 8) & 0xFFFFFF) % n;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	static const char *const members[] = {"USA", "EU", "JPN", "KOR", "GBR", "VNM", "THA", "IND", "SAU", "ARE",
					      "MEX", "BRA", "CAN", "AUS", "MYS", "IDN", "PHL", "KEN", "CHL", "TUR"};
	static const char *const words[] = {"battery", "lithium", "toys", "furniture", "energy", "labelling",
					    "formaldehyde", "cosmetic", "footwear", "textile", "charger", "lamp",
					    "refrigerator", "solar", "plastic", "ceramic", "锂电池", "玩具", "家具", "能效"};
	char err[ERRBUF_SIZE];
	long nsubs;
	if (argc < 3 || parse_long(argv[1], 1, 10000000, &nsubs)) {
		fputs("usage: match_bench N PAGE...\n", stderr);
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		struct buf b;
		struct parse_sink sink = {argv[i], on_rec, NULL, NULL, NULL, NULL};
		buf_init(&b, BUF_NOMAX);
		if (buf_read_file(&b, argv[i]))
			return 1;
		parse_any(&sink, FMT_AUTO, b.s, b.len);
		buf_release(&b);
	}
	const struct catalog *cat = catalog_default();
	struct matcher *m = matcher_new(err, sizeof(err));
	for (long id = 1; id <= nsubs; id++) {
		struct sub_filter f;
		uint32_t kind = rnd(100);
		sub_filter_init(&f);
		const struct category *c = catalog_get(cat, rnd((uint32_t)catalog_count(cat)));
		if (kind < 50) {
			for (uint32_t k = 0, nk = 1 + rnd(3); k < nk; k++)
				strv_push_unique(&f.categories, catalog_get(cat, rnd((uint32_t)catalog_count(cat)))->id);
		} else if (kind < 70) {
			for (uint32_t k = 0, nk = 1 + rnd(3); k < nk && c->hs.n; k++)
				strv_push_unique(&f.hs, c->hs.items[rnd((uint32_t)c->hs.n)]);
			if (!f.hs.n)
				strv_push(&f.categories, c->id);
		} else if (kind < 80) {
			for (uint32_t k = 0, nk = 1 + rnd(2); k < nk; k++)
				strv_push_unique(&f.members, members[rnd(20)]);
			f.type = rnd(2) ? NT_TBT : NT_SPS;
		} else if (kind < 90) {
			char q[128];
			snprintf(q, sizeof(q), "%s%s%s", words[rnd(20)], rnd(2) ? " " : "", rnd(2) ? words[rnd(16)] : "");
			f.query = xstrdup(q);
		} else if (kind < 95) {
			if (c->ics.n)
				strv_push(&f.ics, c->ics.items[rnd((uint32_t)c->ics.n)]);
			else
				strv_push(&f.categories, c->id);
		} else {
			strv_push(&f.categories, c->id);
			f.query = xstrdup(words[rnd(20)]);
		}
		/* Most firms name the markets they sell to, and some a threshold too. */
		if (kind < 70 && rnd(5) < 3)
			for (uint32_t k = 0, nk = 1 + rnd(4); k < nk; k++)
				strv_push_unique(&f.members, members[rnd(20)]);
		if (rnd(4) == 0)
			f.min_risk = 1 + (int)rnd(2);
		if (matcher_add(m, id, &f, err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		sub_filter_release(&f);
	}
	struct risk_config rc;
	risk_config_default(&rc);
	size_t nd = nrecs < 1000 ? nrecs : 1000, nscan = nd < 100 ? nd : 100;
	double *ti = xcalloc(nd, sizeof(double)), *ts = xcalloc(nscan, sizeof(double));
	double checked = 0, matched = 0;
	for (size_t i = 0; i < nd; i++) {
		struct cat_result cats;
		struct risk risk;
		classify(cat, recs[i], NULL, 0, &cats);
		risk_assess(&rc, recs[i], &cats, &risk);
		struct match_doc d = {recs[i], &cats, risk.level};
		int64_t *a = NULL, *b = NULL;
		size_t na = 0, nb = 0;
		double t0 = now_us();
		checked += (double)matcher_match(m, &d, &a, &na);
		ti[i] = now_us() - t0;
		matched += (double)na;
		if (i < nscan) {
			t0 = now_us();
			matcher_match_all(m, &d, &b, &nb);
			ts[i] = now_us() - t0;
			if (na != nb || (na && memcmp(a, b, na * sizeof(*a)))) {
				fprintf(stderr, "%s: index %zu, scan %zu\n", recs[i]->symbol, na, nb);
				return 1;
			}
		}
		free(a);
		free(b);
	}
	qsort(ti, nd, sizeof(double), cmp_d);
	qsort(ts, nscan, sizeof(double), cmp_d);
	printf("%ld %zu %.1f %.1f %.1f %.1f %.0f %.0f\n", nsubs, nd, ti[nd / 2], ti[nd * 99 / 100], ts[nscan / 2],
	       ts[nscan * 99 / 100], checked / (double)nd, matched / (double)nd);
	return 0;
}
