/* intern.h: strings to small dense numbers (the matcher's category ids, market codes and query terms), in an
 * open-addressing hash table; and the FNV-1a hash it uses. */
#ifndef TBTWARN_INTERN_H
#define TBTWARN_INTERN_H

#include <stddef.h>
#include <stdint.h>

struct intern {
	char **names;    /* by number */
	uint32_t *slots; /* open addressing: number + 1, 0 empty */
	size_t n, cap, limit; /* limit: the most numbers it gives (set before the first) */
};

/* FNV-1a of len bytes, of a string. */
uint64_t hash_mem(const char *s, size_t len);
uint64_t hash_str(const char *s);

/* The number of name, or -1; with create, a new number for a new name (up to the table's limit). */
int intern_id(struct intern *t, const char *name, int create);
void intern_release(struct intern *t);

#endif
