/* fuzz_common.h: a parse sink for the fuzz targets that checks each record's invariants and frees it. */
#ifndef TBT_FUZZ_COMMON_H
#define TBT_FUZZ_COMMON_H

#include "parse.h"

#include <stdlib.h>
#include <string.h>

static int fuzz_on_record(void *arg, struct notif *n)
{
	(void)arg;
	/* Whatever the input, a record has a normalised symbol and valid ISO dates or none. */
	if (!n->symbol || strncmp(n->symbol, "G/", 2))
		abort();
	for (int d = 0; d < D_N; d++)
		if (n->dates[d].iso[0] && strlen(n->dates[d].iso) != 10)
			abort();
	json_t *j = notif_to_json(n, 1);
	char *s = json_dumps(j, JSON_COMPACT);
	if (!s)
		abort(); /* jansson refuses invalid UTF-8: a record must never hold any */
	free(s);
	json_decref(j);
	notif_free(n);
	return 0;
}

static void fuzz_on_reject(void *arg, const char *name, const char *where, const char *msg)
{
	(void)arg;
	(void)name;
	(void)where;
	(void)msg;
}

#define FUZZ_SINK {"fuzz", fuzz_on_record, fuzz_on_reject, NULL, NULL, NULL}

#endif
