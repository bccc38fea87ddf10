/* classify_bench.c FILE...: parses the pages and times classify() and risk_assess() over every record, the work
 * that classification adds to an import. Prints "records seconds". */
#include "buf.h"
#include "classify.h"
#include "parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double spent;
static unsigned long records;
static struct risk_config rc;

static int on_record(void *arg, struct notif *n)
{
	struct timespec t0, t1;
	struct cat_result cats;
	struct risk risk;
	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	classify(catalog_default(), n, NULL, 0, &cats);
	risk_assess(&rc, n, &cats, &risk);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	spent += (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	records++;
	notif_free(n);
	return 0;
}

int main(int argc, char **argv)
{
	risk_config_default(&rc);
	catalog_default();
	for (int i = 1; i < argc; i++) {
		struct buf b;
		struct parse_sink sink = {argv[i], on_record, NULL, NULL, NULL, NULL};
		buf_init(&b, BUF_NOMAX);
		if (buf_read_file(&b, argv[i])) {
			perror(argv[i]);
			return 1;
		}
		parse_any(&sink, FMT_AUTO, b.s, b.len);
		buf_release(&b);
	}
	printf("%lu %.3f\n", records, spent);
	return 0;
}
