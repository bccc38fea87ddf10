/* ini.h: a small INI reader for tbtwarn's configuration: [section] or [kind name] headers, key = value lines. */
#ifndef TBT_INI_H
#define TBT_INI_H

#include <stddef.h>

struct ini_entry {
	char *key, *value;
	int line;
};

struct ini_section {
	char *name; /* "crawler", or "source eping-api" */
	int line;
	struct ini_entry *entries;
	size_t n, cap;
};

/* A parsed file. Heap object: ini_parse/ini_free. */
struct ini {
	char *path;
	struct ini_section *sections;
	size_t n, cap;
};

/*
 * Parses text (path is for messages). Comments start with '#' or ';'. Returns the ini, or NULL with err saying
 * "PATH:LINE: what is wrong". Keys outside a section are an error; so is a key given twice in one section.
 */
struct ini *ini_parse(const char *path, const char *text, char *err, size_t errlen);
/* Reads and parses a file. */
struct ini *ini_load(const char *path, char *err, size_t errlen);
void ini_free(struct ini *ini);

/* The section of that name (sections are unique), or NULL. Borrowed. */
const struct ini_section *ini_section(const struct ini *ini, const char *name);
/* 0 when every key of s (may be NULL) is one of keys; else -EINVAL with "PATH:LINE: unknown key 'k' in [name]". */
int ini_check_keys(const struct ini *ini, const struct ini_section *s, const char *const *keys, size_t nkeys, char *err,
		   size_t errlen);
/* The value of key in section s, or NULL. Borrowed. */
const char *ini_get(const struct ini_section *s, const char *key);
/* The line of key in section s, or the section's line when absent (for messages). */
int ini_line(const struct ini_section *s, const char *key);

/* Parses "30", "30s", "5m", "2h", "1d" into seconds; returns 0 or -EINVAL. */
int ini_duration(const char *v, double *out);
/* Parses "1048576", "512K", "16M", "1G" into bytes; returns 0 or -EINVAL. */
int ini_size(const char *v, size_t *out);
/* Parses yes/no/true/false/on/off/1/0; returns 0 or -EINVAL. */
int ini_bool(const char *v, int *out);

#endif
