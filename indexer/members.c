/* members.c: parses the embedded members table once and answers look-ups by code and name. */
#include "members.h"

#include "util.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Generated at build time from config/members.tsv. */
extern const char tbt_members_tsv[];

struct alias {
	char *key; /* normalised name */
	const struct member *m;
};

static struct member *members;
static size_t n_members;
static struct alias *aliases;
static size_t n_aliases, cap_aliases;

/* Lower-cases ASCII, drops punctuation and spaces, keeps other UTF-8 bytes: "Korea, Republic of" -> "korearepublicof". */
static char *name_key(const char *s, size_t n)
{
	char *k = xmalloc(n + 1), *o = k;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80)
			*o++ = (char)c;
		else if (isalnum(c))
			*o++ = (char)tolower(c);
	}
	*o = '\0';
	return k;
}

static void add_alias(const char *name, size_t n, const struct member *m)
{
	if (!n)
		return;
	if (n_aliases == cap_aliases) {
		cap_aliases = cap_aliases ? cap_aliases * 2 : 512;
		aliases = xrealloc(aliases, cap_aliases * sizeof(*aliases));
	}
	aliases[n_aliases].key = name_key(name, n);
	aliases[n_aliases].m = m;
	n_aliases++;
}

static void load_table(void)
{
	const char *p = tbt_members_tsv;
	size_t cap = 0;
	int header = 1;
	while (*p) {
		const char *eol = strchr(p, '\n');
		if (!eol)
			eol = p + strlen(p);
		if (*p == '#' || eol == p) {
			p = *eol ? eol + 1 : eol;
			continue;
		}
		if (header) {
			header = 0;
			p = *eol ? eol + 1 : eol;
			continue;
		}
		if (n_members == cap) {
			cap = cap ? cap * 2 : 256;
			members = xrealloc(members, cap * sizeof(*members));
		}
		struct member *m = &members[n_members++];
		m->code = tsv_field(&p);
		m->numeric = tsv_field(&p);
		m->name_en = tsv_field(&p);
		m->name_zh = tsv_field(&p);
		char *al = tsv_field(&p);
		free(al); /* aliases are indexed in a second pass, once the member array stops moving */
		p = *p == '\n' ? p + 1 : p;
	}
	/* Second pass for aliases: pointers into members are stable now. */
	p = tbt_members_tsv;
	header = 1;
	size_t i = 0;
	while (*p) {
		const char *eol = strchr(p, '\n');
		if (!eol)
			eol = p + strlen(p);
		if (*p == '#' || eol == p || header) {
			if (*p != '#' && eol != p)
				header = 0;
			p = *eol ? eol + 1 : eol;
			continue;
		}
		const struct member *m = &members[i++];
		add_alias(m->name_en, strlen(m->name_en), m);
		add_alias(m->name_zh, strlen(m->name_zh), m);
		add_alias(m->code, strlen(m->code), m);
		const char *tab = p;
		for (int f = 0; f < 4 && tab; f++) {
			tab = memchr(tab, '\t', (size_t)(eol - tab));
			if (tab)
				tab++;
		}
		if (tab) {
			const char *s = tab;
			while (s < eol) {
				const char *semi = memchr(s, ';', (size_t)(eol - s));
				const char *e = semi ? semi : eol;
				add_alias(s, (size_t)(e - s), m);
				s = e + 1;
			}
		}
		p = *eol ? eol + 1 : eol;
	}
}

/* Once, whichever thread asks first (the web's search threads read the table too). */
static void load(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, load_table);
}

const struct member *member_by_code(const char *code)
{
	load();
	if (!strcasecmp(code, "EEC") || !strcasecmp(code, "EC"))
		code = "EU";
	for (size_t i = 0; i < n_members; i++)
		if (!strcasecmp(members[i].code, code))
			return &members[i];
	return NULL;
}

const struct member *member_by_name(const char *name)
{
	const struct member *found = NULL;
	char *k;
	load();
	k = name_key(name, strlen(name));
	/* "The United States of America" and "the Kingdom of Bahrain" lose their article. */
	const char *key = starts_with(k, "the") && strlen(k) > 6 && !member_by_code(k) ? k + 3 : k;
	for (size_t i = 0; i < n_aliases && !found; i++)
		if (!strcmp(aliases[i].key, k) || !strcmp(aliases[i].key, key))
			found = aliases[i].m;
	free(k);
	return found;
}
