/* intern.c: strings to small dense numbers, and the FNV-1a hash (intern.h). */
#include "intern.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* A hash of len bytes. */
uint64_t hash_mem(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

uint64_t hash_str(const char *s)
{
	return hash_mem(s, strlen(s));
}

int intern_id(struct intern *t, const char *name, int create)
{
	if (create && (t->n + 1) * 2 > t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 256;
		uint32_t *ns = xcalloc(ncap, sizeof(*ns));
		for (size_t i = 0; i < t->n; i++) {
			size_t j = hash_str(t->names[i]) & (ncap - 1);
			while (ns[j])
				j = (j + 1) & (ncap - 1);
			ns[j] = (uint32_t)i + 1;
		}
		free(t->slots);
		t->slots = ns;
		t->cap = ncap;
		t->names = xrealloc(t->names, ncap / 2 * sizeof(*t->names));
	}
	if (!t->cap)
		return -1;
	size_t j = hash_str(name) & (t->cap - 1);
	while (t->slots[j]) {
		if (!strcmp(t->names[t->slots[j] - 1], name))
			return (int)t->slots[j] - 1;
		j = (j + 1) & (t->cap - 1);
	}
	if (!create || t->n >= t->limit)
		return -1;
	t->names[t->n] = xstrdup(name);
	t->slots[j] = (uint32_t)++t->n;
	return (int)t->n - 1;
}

void intern_release(struct intern *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->names[i]);
	free(t->names);
	free(t->slots);
}
