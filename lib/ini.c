/* ini.c: the INI reader. */
#include "ini.h"

#include "buf.h"
#include "text.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *trim(const char *s, size_t n)
{
	return strndup_trim(s, n);
}

struct ini *ini_parse(const char *path, const char *text, char *err, size_t errlen)
{
	struct ini *ini = xcalloc(1, sizeof(*ini));
	struct ini_section *cur = NULL;
	int line = 0;
	ini->path = xstrdup(path);
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		char *ln = trim(p, n);
		line++;
		p += n;
		if (*p)
			p++;
		if (!*ln || *ln == '#' || *ln == ';') {
			free(ln);
			continue;
		}
		if (*ln == '[') {
			size_t l = strlen(ln);
			if (ln[l - 1] != ']') {
				errf(err, errlen, "%s:%d: section header without ']'", path, line);
				free(ln);
				ini_free(ini);
				return NULL;
			}
			char *name = trim(ln + 1, l - 2);
			char *folded = text_fold_space(name);
			free(name);
			for (size_t i = 0; i < ini->n; i++) {
				if (!strcmp(ini->sections[i].name, folded)) {
					errf(err, errlen, "%s:%d: section [%s] already defined at line %d", path, line, folded,
					     ini->sections[i].line);
					free(folded);
					free(ln);
					ini_free(ini);
					return NULL;
				}
			}
			if (ini->n == ini->cap) {
				ini->cap = ini->cap ? ini->cap * 2 : 8;
				ini->sections = xrealloc(ini->sections, ini->cap * sizeof(*ini->sections));
			}
			cur = &ini->sections[ini->n++];
			memset(cur, 0, sizeof(*cur));
			cur->name = folded;
			cur->line = line;
			free(ln);
			continue;
		}
		char *eq = strchr(ln, '=');
		if (!eq || eq == ln) {
			errf(err, errlen, "%s:%d: expected 'key = value', got '%.60s'", path, line, ln);
			free(ln);
			ini_free(ini);
			return NULL;
		}
		if (!cur) {
			errf(err, errlen, "%s:%d: '%.40s' is outside any [section]", path, line, ln);
			free(ln);
			ini_free(ini);
			return NULL;
		}
		char *key = trim(ln, (size_t)(eq - ln)), *value = trim(eq + 1, strlen(eq + 1));
		str_lower_ascii(key);
		if (ini_get(cur, key)) {
			errf(err, errlen, "%s:%d: key '%s' given twice in [%s] (first at line %d)", path, line, key, cur->name,
			     ini_line(cur, key));
			free(key);
			free(value);
			free(ln);
			ini_free(ini);
			return NULL;
		}
		if (cur->n == cur->cap) {
			cur->cap = cur->cap ? cur->cap * 2 : 8;
			cur->entries = xrealloc(cur->entries, cur->cap * sizeof(*cur->entries));
		}
		cur->entries[cur->n].key = key;
		cur->entries[cur->n].value = value;
		cur->entries[cur->n].line = line;
		cur->n++;
		free(ln);
	}
	return ini;
}

struct ini *ini_load(const char *path, char *err, size_t errlen)
{
	struct buf b;
	struct ini *ini;
	buf_init(&b, 4 * 1024 * 1024);
	int rc = buf_read_file(&b, path);
	if (rc) {
		errf(err, errlen, "%s: %s", path, rc == -E2BIG ? "larger than 4 MiB" : strerror(-rc));
		buf_release(&b);
		return NULL;
	}
	ini = ini_parse(path, b.s, err, errlen);
	buf_release(&b);
	return ini;
}

void ini_free(struct ini *ini)
{
	if (!ini)
		return;
	for (size_t i = 0; i < ini->n; i++) {
		struct ini_section *s = &ini->sections[i];
		for (size_t k = 0; k < s->n; k++) {
			free(s->entries[k].key);
			free(s->entries[k].value);
		}
		free(s->entries);
		free(s->name);
	}
	free(ini->sections);
	free(ini->path);
	free(ini);
}

const char *ini_get(const struct ini_section *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->entries[i].key, key))
			return s->entries[i].value;
	return NULL;
}

int ini_line(const struct ini_section *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->entries[i].key, key))
			return s->entries[i].line;
	return s->line;
}

static int number_with_unit(const char *v, double *num, char *unit)
{
	char *end;
	if (!v || !*v)
		return -EINVAL;
	errno = 0;
	*num = strtod(v, &end);
	if (errno || end == v || *num < 0)
		return -EINVAL;
	while (*end == ' ')
		end++;
	*unit = (char)tolower((unsigned char)*end);
	if (*end && end[1] && strcasecmp(end, "ms") && strcasecmp(end, "ib") && strcasecmp(end + 1, "ib") &&
	    strcasecmp(end + 1, "b"))
		return -EINVAL;
	if (!strcasecmp(end, "ms"))
		*unit = 'x';
	return 0;
}

int ini_duration(const char *v, double *out)
{
	double n;
	char u;
	if (number_with_unit(v, &n, &u))
		return -EINVAL;
	switch (u) {
	case '\0':
	case 's':
		*out = n;
		return 0;
	case 'x':
		*out = n / 1000.0;
		return 0;
	case 'm':
		*out = n * 60;
		return 0;
	case 'h':
		*out = n * 3600;
		return 0;
	case 'd':
		*out = n * 86400;
		return 0;
	}
	return -EINVAL;
}

int ini_size(const char *v, size_t *out)
{
	double n;
	char u;
	if (number_with_unit(v, &n, &u))
		return -EINVAL;
	double mult = u == 'k' ? 1024.0 : u == 'm' ? 1048576.0 : u == 'g' ? 1073741824.0 : u == '\0' || u == 'b' ? 1 : 0;
	if (!mult || n * mult > 1e15)
		return -EINVAL;
	*out = (size_t)(n * mult);
	return 0;
}

int ini_bool(const char *v, int *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1", NULL}, *const no[] = {"no", "false", "off", "0", NULL};
	for (int i = 0; yes[i]; i++)
		if (!strcasecmp(v, yes[i])) {
			*out = 1;
			return 0;
		}
	for (int i = 0; no[i]; i++)
		if (!strcasecmp(v, no[i])) {
			*out = 0;
			return 0;
		}
	return -EINVAL;
}

const struct ini_section *ini_section(const struct ini *ini, const char *name)
{
	for (size_t i = 0; ini && i < ini->n; i++)
		if (!strcmp(ini->sections[i].name, name))
			return &ini->sections[i];
	return NULL;
}

int ini_check_keys(const struct ini *ini, const struct ini_section *s, const char *const *keys, size_t nkeys, char *err,
		   size_t errlen)
{
	for (size_t i = 0; s && i < s->n; i++) {
		size_t k = 0;
		while (k < nkeys && strcmp(keys[k], s->entries[i].key))
			k++;
		if (k == nkeys) {
			errf(err, errlen, "%s:%d: unknown key '%s' in [%s]", ini->path, s->entries[i].line, s->entries[i].key, s->name);
			return -EINVAL;
		}
	}
	return 0;
}
