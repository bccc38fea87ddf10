/* parse_eping.c: maps the WTO ePing API's notification items onto records. */
#include "parse.h"

#include "members.h"
#include "norm.h"
#include "text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A text field: the HTML version stripped, else the ...Plain twin, else NULL. */
static char *text_field(const json_t *item, const char *key)
{
	char plain_key[64];
	const char *s = json_string_value(json_object_get(item, key));
	snprintf(plain_key, sizeof(plain_key), "%sPlain", key);
	if (!s || !*s)
		s = json_string_value(json_object_get(item, plain_key));
	if (!s)
		return NULL;
	char *t = html_to_text(s);
	if (!*t) {
		free(t);
		return NULL;
	}
	return t;
}

/* Reads a date and its prose twin; returns -EINVAL (with the field in err) when the source's date is not a date. */
static int date_field(const json_t *item, const char *key, struct notif_datev *dv, char *err, size_t errlen)
{
	char text_key[64];
	const char *s = json_string_value(json_object_get(item, key));
	snprintf(text_key, sizeof(text_key), "%sText", key);
	const char *t = json_string_value(json_object_get(item, text_key));
	/* "2025-03-14T00:00:00+01:00": the calendar date is the one written, whatever the offset. A value that is
	 * no date ("2025-06-31", "soon") rejects the item rather than leave it without the date. */
	if (s && *s && date_parse(s, dv->iso)) {
		errf(err, errlen, "%s: '%s' is not a date", key, s);
		return -EINVAL;
	}
	if (t && *t) {
		char *clean = html_to_text(t);
		if (*clean)
			dv->text = clean;
		else
			free(clean);
		if (!dv->iso[0] && dv->text && date_parse(dv->text, dv->iso) == -ERANGE) {
			errf(err, errlen, "%s: '%s' is not a day of the calendar", text_key, dv->text);
			return -EINVAL;
		}
	}
	return 0;
}

/* [{id, code, name}] or ["8507"] lists of codes. */
static void codes_field(const json_t *item, const char *key, int ics, struct strv *out)
{
	const json_t *a = json_object_get(item, key), *x;
	size_t i;
	json_array_foreach(a, i, x)
	{
		const char *code = json_is_string(x) ? json_string_value(x) : json_string_value(json_object_get(x, "code"));
		char norm[32];
		if (!code)
			continue;
		if (!(ics ? ics_normalize(code, norm, sizeof(norm)) : hs_normalize(code, norm, sizeof(norm))))
			strv_push_unique(out, norm);
	}
}

static void names_field(const json_t *item, const char *key, struct strv *out)
{
	const json_t *a = json_object_get(item, key), *x;
	size_t i;
	json_array_foreach(a, i, x)
	{
		const char *name = json_is_string(x) ? json_string_value(x) : json_string_value(json_object_get(x, "name"));
		if (name && *name) {
			char *t = html_to_text(name);
			if (*t)
				strv_push_unique(out, t);
			free(t);
		}
	}
}

/* URLs separated by commas, semicolons, white space or newlines. */
static void split_urls(const char *s, struct strv *out)
{
	while (s && *s) {
		size_t n = strcspn(s, ",; \t\r\n");
		if (n >= 8 && (starts_with_ci(s, "http://") || starts_with_ci(s, "https://"))) {
			char *u = xstrndup(s, n);
			strv_push_unique(out, u);
			free(u);
		}
		s += n;
		if (*s)
			s++;
	}
}

/* Fills one record for symbols->items[which] from the item; the joint symbols (norm: their normal forms, NULL for
 * one that does not parse) go to also_symbols. */
static struct notif *item_to_record(const json_t *item, const struct strv *symbols, char *const *norm, size_t which,
				    int own, char *err, size_t errlen)
{
	struct notif *n = notif_new();
	if (notif_set_symbol(n, symbols->items[which], err, errlen)) {
		notif_free(n);
		return NULL;
	}
	for (size_t i = 0; i < symbols->n; i++)
		if (i != which && norm[i] && (!norm[which] || strcmp(norm[i], norm[which])))
			strv_push(&n->also_symbols, norm[i]);
	struct notif_text *en = &n->text[LANG_EN];
	const char *member = json_string_value(json_object_get(item, "notifyingMember"));
	/* An item of a joint notification speaks for its own member: another member's record takes the shared
	 * content, not this member's name or ePing id. */
	if (member && *member && own)
		en->member_name = html_to_text(member);
	en->title = text_field(item, "title");
	en->description = text_field(item, "description");
	/* getLatestNotifications puts the products text in "products" ("HS code(s): 0304 ..."). */
	en->products = text_field(item, "productsFreeText");
	if (!en->products)
		en->products = text_field(item, "products");
	/* A bare code as the products text ("8702") is an HS code, not a description. */
	char bare[32];
	if (en->products && strspn(en->products, "0123456789. ") == strlen(en->products) &&
	    !hs_normalize(en->products, bare, sizeof(bare)))
		strv_push_unique(&n->hs, bare);
	en->agency = text_field(item, "agency");
	if (date_field(item, "distributionDate", &n->dates[D_DISTRIBUTED], err, errlen) ||
	    date_field(item, "commentDeadlineDate", &n->dates[D_COMMENTS], err, errlen) ||
	    date_field(item, "proposedAdoptionDate", &n->dates[D_ADOPTION], err, errlen) ||
	    date_field(item, "proposedEntryIntoForceDate", &n->dates[D_ENTRY_FORCE], err, errlen)) {
		char what[ERRBUF_SIZE + 128];
		snprintf(what, sizeof(what), "%s: %s", n->symbol, err);
		errf(err, errlen, "%s", what);
		notif_free(n);
		return NULL;
	}
	codes_field(item, "hsCodes", 0, &n->hs);
	codes_field(item, "icsCodes", 1, &n->ics);
	/* Codes written in the products text count too: many items leave hsCodes empty. */
	codes_extract(en->products, &n->hs, &n->ics);
	names_field(item, "keywords", &n->keywords);
	struct strv given;
	strv_init(&given);
	names_field(item, "objectives", &given);
	for (size_t i = 0; i < given.n; i++) {
		/* One canonical name per objective, whatever the wording or suffix ("... or safety (TBT)"); a name we do
		 * not know is kept as given, without the suffix. */
		size_t before = n->objectives.n;
		objectives_extract(given.items[i], &n->objectives);
		if (n->objectives.n == before) {
			char *o = given.items[i];
			size_t l = strlen(o);
			if (l > 6 && (!strcmp(o + l - 6, " (TBT)") || !strcmp(o + l - 6, " (SPS)")))
				o[l - 6] = '\0';
			strv_push_unique(&n->objectives, o);
		}
	}
	strv_release(&given);
	split_urls(json_string_value(json_object_get(item, "notifiedDocumentLink")), &n->document_urls);
	const char *link = json_string_value(json_object_get(item, "linkToNotification"));
	if (link && *link)
		n->notification_url = xstrdup(link);
	const json_t *id = own ? json_object_get(item, "id") : NULL;
	if (json_is_integer(id)) {
		char b[32];
		snprintf(b, sizeof(b), "%lld", (long long)json_integer_value(id));
		n->eping_id = xstrdup(b);
	} else if (json_is_string(id)) {
		n->eping_id = xstrdup(json_string_value(id));
	}
	n->source = xstrdup("eping");
	notif_finish(n);
	return n;
}

void parse_reject(const struct parse_sink *sink, const char *where, const char *fmt, ...)
{
	char msg[ERRBUF_SIZE];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (sink->on_reject)
		sink->on_reject(sink->arg, sink->name, where, msg);
}

/* Which of the symbols the item's own member notified (its notifyingMember names the symbol's member), or -1. */
static int member_symbol(const json_t *item, const struct strv *symbols, char *const *norm)
{
	const char *name = json_string_value(json_object_get(item, "notifyingMember"));
	if (symbols->n < 2 || !name)
		return -1;
	char *clean = html_to_text(name);
	const struct member *m = member_by_name(clean);
	free(clean);
	if (!m)
		return -1;
	for (size_t i = 0; i < symbols->n; i++) {
		struct symbol_parts sp;
		if (norm[i] && !symbol_parse(norm[i], &sp) && (!strcasecmp(sp.member, m->code) ||
							       (!strcmp(m->code, "EU") && !strcasecmp(sp.member, "EEC"))))
			return (int)i;
	}
	return -1;
}

/* For a page: which item stands for each symbol of a joint list that no item of the page owns (the first that
 * lists it). Built once per page, sorted by symbol. */
struct stand {
	char symbol[96];
	size_t item;
	int own;     /* this item is the symbol's member's own */
	long stands; /* the item that gives the symbol's record for its absent member, or -1 */
};

struct page_map {
	struct stand *e;
	size_t n;
};

static int stand_cmp(const void *a, const void *b)
{
	const struct stand *x = a, *y = b;
	int c = strcmp(x->symbol, y->symbol);
	return c ? c : (x->item > y->item) - (x->item < y->item);
}

/* How many symbols a documentSymbol list names, counted by its separators, so that the cap holds before any work. */
static size_t list_count(const char *list)
{
	size_t count = 1;
	for (const char *p = list; *p; p++)
		count += *p == ',' || *p == ';' || *p == '\n';
	return count;
}

/* The entries of a documentSymbol list as written (trimmed, each once). */
static void list_split(const char *list, struct strv *out)
{
	while (*list) {
		size_t n = strcspn(list, ",;\n");
		char *one = strndup_trim(list, n);
		if (*one && !strv_contains(out, one))
			strv_push_owned(out, one);
		else
			free(one);
		list += n;
		if (*list)
			list++;
	}
}

/* A documentSymbol list's symbols in normal form (those that do not parse are left out). Returns -1 beyond the cap
 * on joint symbols. */
static int symbol_list(const char *list, struct strv *out)
{
	struct strv raw;
	if (list_count(list) > NOTIF_MAX_JOINT)
		return -1;
	strv_init(&raw);
	list_split(list, &raw);
	for (size_t i = 0; i < raw.n; i++) {
		struct symbol_parts sp;
		if (!symbol_parse(raw.items[i], &sp))
			strv_push_unique(out, sp.norm);
	}
	strv_release(&raw);
	return 0;
}

static void page_map_build(struct page_map *pm, const json_t *items)
{
	size_t i, cap = 0;
	const json_t *it;
	pm->e = NULL;
	pm->n = 0;
	json_array_foreach(items, i, it) {
		const char *list = json_is_object(it) ? json_string_value(json_object_get(it, "documentSymbol")) : NULL;
		struct strv syms;
		if (!list || !strpbrk(list, ",;\n"))
			continue;
		strv_init(&syms);
		if (!symbol_list(list, &syms) && syms.n > 1) {
			int m = member_symbol(it, &syms, syms.items);
			for (size_t k = 0; k < syms.n; k++) {
				if (pm->n == cap) {
					cap = cap ? cap * 2 : 64;
					pm->e = xrealloc(pm->e, cap * sizeof(*pm->e));
				}
				struct stand *e = &pm->e[pm->n++];
				snprintf(e->symbol, sizeof(e->symbol), "%s", syms.items[k]);
				e->item = i;
				e->own = m == (int)k;
			}
		}
		strv_release(&syms);
	}
	if (pm->n)
		qsort(pm->e, pm->n, sizeof(*pm->e), stand_cmp);
	for (size_t a = 0; a < pm->n;) {
		size_t z = a;
		int owned = 0;
		while (z < pm->n && !strcmp(pm->e[z].symbol, pm->e[a].symbol))
			owned |= pm->e[z++].own;
		for (size_t k = a; k < z; k++)
			pm->e[k].stands = owned ? -1 : (long)pm->e[a].item;
		a = z;
	}
}

/* Whether the item at index gives the record of symbol for a member that has no item of its own on the page. */
static int stands_for(const struct page_map *pm, const char *symbol, size_t index)
{
	struct stand key;
	if (!pm || !symbol)
		return 0;
	snprintf(key.symbol, sizeof(key.symbol), "%s", symbol);
	key.item = 0;
	size_t lo = 0, hi = pm->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcmp(pm->e[mid].symbol, key.symbol) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < pm->n && !strcmp(pm->e[lo].symbol, symbol) && pm->e[lo].stands == (long)index;
}

static int parse_item(const struct parse_sink *sink, const json_t *item, size_t index, const struct page_map *pm)
{
	char where[48], err[ERRBUF_SIZE];
	struct strv symbols;
	int rc = 0;
	snprintf(where, sizeof(where), "item %zu", index + 1);
	if (!json_is_object(item)) {
		parse_reject(sink, where, "expected an object, found %s", json_is_array(item) ? "an array" : "a scalar");
		return 0;
	}
	const json_t *sym = json_object_get(item, "documentSymbol");
	if (!json_is_string(sym) || !*json_string_value(sym)) {
		parse_reject(sink, where, "missing documentSymbol");
		return 0;
	}
	/* A joint notification lists several symbols in one field: each becomes a record naming the others. The count
	 * is capped before any work (an item of thousands would cost records times symbols), and a symbol repeated
	 * in the list is one symbol. */
	size_t count = list_count(json_string_value(sym));
	if (count > NOTIF_MAX_JOINT) {
		parse_reject(sink, where, "documentSymbol lists %zu symbols; a joint notification has at most %d", count,
			     NOTIF_MAX_JOINT);
		return 0;
	}
	strv_init(&symbols);
	list_split(json_string_value(sym), &symbols);
	char **norm = xcalloc(symbols.n + 1, sizeof(char *));
	for (size_t i = 0; i < symbols.n; i++) {
		struct symbol_parts sp;
		if (!symbol_parse(symbols.items[i], &sp))
			norm[i] = xstrdup(sp.norm);
	}
	/* ePing's web search answers one item per member for a joint notification, each with the whole list of
	 * symbols: an item whose member owns one of them gives that symbol's record only. The other symbols come from
	 * their own items; where the page has none (the first item of the list stands for them), this item gives
	 * them too, without its member's name and id. */
	int mine = member_symbol(item, &symbols, norm);
	for (size_t i = 0; i < symbols.n && !rc; i++) {
		if (mine >= 0 && (size_t)mine != i && !stands_for(pm, norm[i], index))
			continue;
		struct notif *n = item_to_record(item, &symbols, norm, i, mine < 0 || (size_t)mine == i, err, sizeof(err));
		if (!n) {
			parse_reject(sink, where, "%s", err);
			continue;
		}
		rc = sink->on_record(sink->arg, n);
	}
	for (size_t i = 0; i < symbols.n; i++)
		free(norm[i]);
	free(norm);
	strv_release(&symbols);
	return rc;
}

int parse_eping(const struct parse_sink *sink, const char *data, size_t len)
{
	json_error_t jerr;
	json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	const json_t *items;
	int rc = 0;
	if (!root) {
		char where[64];
		snprintf(where, sizeof(where), "line %d, column %d", jerr.line, jerr.column);
		parse_reject(sink, where, "invalid JSON: %s", jerr.text);
		return -TBT_EPARSE;
	}
	if (json_is_array(root)) {
		items = root;
	} else if (json_is_object(root) && json_object_get(root, "items")) {
		items = json_object_get(root, "items");
		if (!json_is_array(items)) {
			parse_reject(sink, "items", "'items' is not an array");
			json_decref(root);
			return -TBT_EPARSE;
		}
	} else if (json_is_object(root) && json_object_get(root, "documentSymbol")) {
		rc = parse_item(sink, root, 0, NULL);
		json_decref(root);
		return rc > 0 ? 0 : rc;
	} else {
		parse_reject(sink, "file", "not an ePing page: no 'items' array and no 'documentSymbol'");
		json_decref(root);
		return -TBT_EPARSE;
	}
	size_t i;
	const json_t *item;
	struct page_map pm;
	page_map_build(&pm, items);
	json_array_foreach(items, i, item)
	{
		if (parse_item(sink, item, i, &pm))
			break;
	}
	free(pm.e);
	json_decref(root);
	return 0;
}

int parse_format_from_name(const char *name)
{
	if (!strcmp(name, "auto"))
		return FMT_AUTO;
	if (!strcmp(name, "eping") || !strcmp(name, "json"))
		return FMT_EPING;
	if (!strcmp(name, "wto-text") || !strcmp(name, "text"))
		return FMT_WTO_TEXT;
	if (!strcmp(name, "feed") || !strcmp(name, "rss") || !strcmp(name, "atom"))
		return FMT_FEED;
	if (!strcmp(name, "html"))
		return FMT_HTML;
	if (!strcmp(name, "pdf") || !strcmp(name, "docx") || !strcmp(name, "doc"))
		return FMT_DOC;
	return -1;
}

int parse_any(const struct parse_sink *sink, enum parse_format fmt, const char *data, size_t len)
{
	if (fmt == FMT_AUTO && doc_kind_of(data, len) != DOC_NONE)
		fmt = FMT_DOC;
	if (fmt == FMT_DOC)
		return parse_document(sink, data, len);
	if (fmt == FMT_AUTO) {
		size_t i = 0;
		if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3))
			i = 3;
		while (i < len && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t'))
			i++;
		if (i < len && (data[i] == '{' || data[i] == '['))
			fmt = FMT_EPING;
		else if (i < len && data[i] == '<') {
			/* XML with <rss or <feed is a feed; other markup is an HTML page. */
			size_t n = len - i < 2048 ? len - i : 2048;
			char head[2049];
			memcpy(head, data + i, n);
			head[n] = '\0';
			fmt = (strstr(head, "<rss") || strstr(head, "<feed")) ? FMT_FEED : FMT_HTML;
		} else
			fmt = FMT_WTO_TEXT;
	}
	if (fmt == FMT_FEED)
		return parse_feed(sink, data, len);
	if (fmt == FMT_HTML)
		return parse_html(sink, data, len, sink->html_xpath, sink->html_encoding);
	if (fmt == FMT_EPING) {
		if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) {
			data += 3;
			len -= 3;
		}
		return parse_eping(sink, data, len);
	}
	return parse_wto_text(sink, data, len);
}
