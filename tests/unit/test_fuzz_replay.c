/* test_fuzz_replay.c: replays every input under tests/data/fuzz/TARGET/ (crashes found by `make fuzz`) and every
 * fixture through every parser, checking that each record that comes out is whole and valid. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "parse.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int records, rejects;

static int on_rec(void *arg, struct notif *n)
{
	(void)arg;
	assert_non_null(n->symbol);
	assert_true(!strncmp(n->symbol, "G/", 2));
	for (int d = 0; d < D_N; d++)
		assert_true(!n->dates[d].iso[0] || strlen(n->dates[d].iso) == 10);
	json_t *j = notif_to_json(n, 1);
	char *s = json_dumps(j, JSON_COMPACT);
	assert_non_null(s); /* valid UTF-8 throughout */
	free(s);
	json_decref(j);
	/* The store's direct writer produces exactly jansson's canonical form. */
	json_t *c = notif_to_json(n, 0);
	char *want = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
	struct buf got;
	buf_init(&got, BUF_NOMAX);
	assert_int_equal(notif_write_json(n, &got), 0);
	if (strcmp(got.s, want))
		fail_msg("canonical JSON differs for %s:\n got  %s\n want %s", n->symbol, got.s, want);
	buf_release(&got);
	free(want);
	json_decref(c);
	notif_free(n);
	records++;
	return 0;
}

static void on_rej(void *arg, const char *name, const char *where, const char *msg)
{
	(void)arg;
	assert_non_null(name);
	assert_non_null(where);
	assert_true(strlen(msg) > 0);
	rejects++;
}

typedef int (*parser_fn)(const struct parse_sink *, const char *, size_t);

static int html_body(const struct parse_sink *s, const char *d, size_t n)
{
	return parse_html(s, d, n, "//body", NULL);
}

static const struct {
	const char *name;
	parser_fn fn;
} parsers[] = {{"eping", parse_eping}, {"wto", parse_wto_text}, {"feed", parse_feed}, {"html", html_body}};

/* Runs every file of dir through fn (or through all parsers when fn is NULL); returns the number of files. */
static int replay_dir(const char *dir, parser_fn fn)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int files = 0;
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[1024];
		struct buf b;
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "README"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		buf_init(&b, 64 * 1024 * 1024);
		if (buf_read_file(&b, path)) {
			buf_release(&b);
			continue; /* a directory */
		}
		struct parse_sink sink = {path, on_rec, on_rej, NULL, NULL, NULL};
		for (size_t p = 0; p < sizeof(parsers) / sizeof(parsers[0]); p++)
			if (!fn || parsers[p].fn == fn)
				parsers[p].fn(&sink, b.s, b.len);
		buf_release(&b);
		files++;
	}
	closedir(d);
	return files;
}

static void crashing_inputs_found_by_fuzzing_stay_fixed(void **state)
{
	(void)state;
	for (size_t p = 0; p < sizeof(parsers) / sizeof(parsers[0]); p++) {
		char dir[256];
		snprintf(dir, sizeof(dir), "tests/data/fuzz/%s", parsers[p].name);
		replay_dir(dir, parsers[p].fn);
	}
}

static void every_fixture_through_every_parser(void **state)
{
	static const char *const dirs[] = {"tests/data/samples", "tests/data/bad", "tests/data/web",
					   "tests/data/web/detail"};
	int files = 0;
	(void)state;
	records = rejects = 0;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		files += replay_dir(dirs[i], NULL);
	assert_true(files >= 19);
	/* Each parser reads its own format and refuses, with a reason, what is not. */
	assert_true(records > 0);
	assert_true(rejects > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(crashing_inputs_found_by_fuzzing_stay_fixed),
		cmocka_unit_test(every_fixture_through_every_parser),
	};
	return cmocka_run_group_tests_name("fuzz_replay", tests, NULL, NULL);
}
