/* translate.c: see translate.h. One job per notification: its fields without Chinese are cut into segments, the
 * memory answers what it can, the rest goes to the provider in one request, in order; each answer is checked before
 * it is kept. The queue, the memory and the translations are in the store: a crash or a restart loses nothing and
 * asks nothing twice (a segment answered is in the memory before the notification is marked done). */
#include "translate.h"
#include "draft.h"

#include "buf.h"
#include "hash.h"
#include "netguard.h"
#include "text.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern const char tbt_glossary_tsv[];

static const char *const provider_names[] = {"none", "libretranslate", "openai"};
static const char *const field_names[3] = {"title", "description", "products"};
/* What doctor asks the provider to translate. */
#define PROBE_TEXT "The draft regulation sets safety requirements for 2 types of toys."

void translate_opts_default(struct translate_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->provider = TP_NONE;
	o->target = "zh";
	o->timeout = 60;
	o->concurrency = 2;
	o->wait = 600;
	o->retry_base = 30;
}

static int bad(char *err, size_t errlen, const struct ini *cfg, const struct ini_section *s, const char *key,
	       const char *why)
{
	errf(err, errlen, "%s:%d: [translate] %s: %s", cfg->path, ini_line(s, key), key, why);
	return -EINVAL;
}

int translate_opts_load(struct translate_opts *o, const struct ini *cfg, char *err, size_t errlen)
{
	const struct ini_section *s = NULL;
	const char *v;
	long l;
	for (size_t i = 0; i < cfg->n; i++)
		if (!strcmp(cfg->sections[i].name, "translate"))
			s = &cfg->sections[i];
	if (!s)
		return 0;
	static const char *const keys[] = {"provider", "url", "key_env", "model", "target", "timeout", "concurrency",
					   "max_chars_per_day", "wait", "retry_base"};
	if (ini_check_keys(cfg, s, keys, sizeof(keys) / sizeof(keys[0]), err, errlen))
		return -EINVAL;
	if ((v = ini_get(s, "provider"))) {
		int found = 0;
		for (int p = 0; p < 3; p++)
			if (!strcmp(v, provider_names[p])) {
				o->provider = (enum tr_provider)p;
				found = 1;
			}
		if (!found)
			return bad(err, errlen, cfg, s, "provider", "expected none, libretranslate or openai");
	}
	o->url = ini_get(s, "url");
	o->model = ini_get(s, "model");
	if ((v = ini_get(s, "target")))
		o->target = v;
	if ((o->key_env = ini_get(s, "key_env"))) {
		const char *k = getenv(o->key_env);
		o->key = k && *k ? k : NULL;
	}
	if ((v = ini_get(s, "timeout")) && (ini_duration(v, &o->timeout) || o->timeout <= 0))
		return bad(err, errlen, cfg, s, "timeout", "expected a duration such as 60s");
	if ((v = ini_get(s, "wait")) && ini_duration(v, &o->wait))
		return bad(err, errlen, cfg, s, "wait", "expected a duration such as 10m");
	if ((v = ini_get(s, "retry_base")) && (ini_duration(v, &o->retry_base) || o->retry_base <= 0))
		return bad(err, errlen, cfg, s, "retry_base", "expected a duration such as 30s");
	if ((v = ini_get(s, "concurrency"))) {
		if (parse_long(v, 1, 64, &l))
			return bad(err, errlen, cfg, s, "concurrency", "expected 1 to 64");
		o->concurrency = (int)l;
	}
	if ((v = ini_get(s, "max_chars_per_day"))) {
		if (parse_long(v, 0, 1000000000L, &l))
			return bad(err, errlen, cfg, s, "max_chars_per_day", "expected a number of characters (0: no budget)");
		o->max_chars_per_day = l;
	}
	if (o->provider != TP_NONE && (!o->url || !url_is_web(o->url)))
		return bad(err, errlen, cfg, s, "url", "the provider needs an http or https URL");
	if (o->provider == TP_OPENAI && !o->model)
		return bad(err, errlen, cfg, s, "model", "an OpenAI-compatible provider needs the model's name");
	return 0;
}

/* ---- glossary ---- */

struct glossary {
	struct strv en, zh;
};

static struct glossary builtin;
static int builtin_loaded;

const struct glossary *glossary_builtin(void)
{
	if (builtin_loaded)
		return &builtin;
	strv_init(&builtin.en);
	strv_init(&builtin.zh);
	for (const char *p = tbt_glossary_tsv; *p;) {
		size_t len = strcspn(p, "\n");
		if (*p != '#' && len) {
			const char *tab = memchr(p, '\t', len);
			if (tab) {
				const char *end = memchr(tab + 1, '\t', len - (size_t)(tab + 1 - p));
				if (!end)
					end = p + len;
				strv_push_owned(&builtin.en, xstrndup(p, (size_t)(tab - p)));
				strv_push_owned(&builtin.zh, xstrndup(tab + 1, (size_t)(end - tab - 1)));
			}
		}
		p += len;
		if (*p)
			p++;
	}
	builtin_loaded = 1;
	return &builtin;
}

/* Whether term occurs in s as whole words, ignoring case. */
static int has_term(const char *s, const char *term)
{
	size_t l = strlen(term);
	for (const char *p = s; (p = strcasestr_ascii(p, term)); p++) {
		int before = p == s || !isalnum((unsigned char)p[-1]);
		int after = !isalnum((unsigned char)p[l]);
		if (before && after)
			return 1;
	}
	return 0;
}

void translate_glossary_missed(const struct glossary *g, const char *src, const char *zh, char *out, size_t outlen)
{
	struct buf b;
	buf_init(&b, outlen ? outlen - 1 : 0);
	for (size_t i = 0; g && i < g->en.n; i++)
		if (has_term(src, g->en.items[i]) && !strstr(zh, g->zh.items[i]))
			buf_addf(&b, "%s%s→%s", b.len ? "; " : "", g->en.items[i], g->zh.items[i]);
	snprintf(out, outlen, "%s", b.s);
	buf_release(&b);
}

/* ---- checks ---- */

static size_t code_points(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

int translate_has_cjk(const char *s)
{
	for (const char *p = s; *p;) {
		unsigned cp;
		size_t l = utf8_decode(p, strlen(p), &cp);
		if (!l)
			return 0;
		if (cp >= 0x4E00 && cp <= 0x9FFF)
			return 1;
		p += l;
	}
	return 0;
}

static int letters_words(const char *s)
{
	int words = 0;
	for (const char *p = s; *p;) {
		while (*p && !isalpha((unsigned char)*p))
			p++;
		if (!*p)
			break;
		const char *w = p;
		while (isalpha((unsigned char)*p))
			p++;
		words += p - w >= 2;
	}
	return words;
}

const char *translate_check(const char *src, const char *zh)
{
	static char why[200];
	if (!zh || !*zh)
		return "the answer is empty";
	if (!utf8_valid(zh, strlen(zh), NULL))
		return "the answer is not UTF-8";
	if (strcasestr_ascii(zh, "<html") || strcasestr_ascii(zh, "<!doctype") || strcasestr_ascii(zh, "<body"))
		return "the answer is an HTML page, not a translation";
	if (letters_words(src) >= 2 && !translate_has_cjk(zh))
		return "the answer is not Chinese (the English echoed back?)";
	/* Every number and code of the source: 60, 2.4, 8507.60, 62133-2, 2025/1234. */
	for (const char *p = src; *p;) {
		if (!isdigit((unsigned char)*p) || (p > src && (isalnum((unsigned char)p[-1]) || p[-1] == '.'))) {
			p++;
			continue;
		}
		const char *e = p;
		while (isalnum((unsigned char)*e) || ((*e == '.' || *e == '-' || *e == '/' || *e == ':') &&
						       isalnum((unsigned char)e[1])))
			e++;
		char tok[64];
		snprintf(tok, sizeof(tok), "%.*s", (int)(e - p), p);
		if (!strstr(zh, tok)) {
			snprintf(why, sizeof(why), "the translation drops '%s' of the source", tok);
			return why;
		}
		p = e;
	}
	size_t sl = strlen(src), zl = code_points(zh);
	if (sl >= 40 && (zl * 8 < sl || zl > sl * 2 + 40))
		return "the translation's length is implausible for its source";
	return NULL;
}

/* ---- segments ---- */

static int abbreviation(const char *start, const char *dot)
{
	static const char *const abbr[] = {"e.g", "i.e", "No", "no", "Art", "art", "etc", "Mr", "Dr", "St", "Co", "Inc",
					   "Ltd", "vs", "approx", "Fig", "Nos", "para", "Rev", "Add", "Corr", "U.S", NULL};
	const char *w = dot;
	while (w > start && !isspace((unsigned char)w[-1]))
		w--;
	for (int i = 0; abbr[i]; i++)
		if ((size_t)(dot - w) == strlen(abbr[i]) && !strncmp(w, abbr[i], strlen(abbr[i])))
			return 1;
	return dot - w == 1 && isupper((unsigned char)*w); /* an initial: "J. Smith" */
}

void translate_segments(const char *text, int whole, struct strv *out)
{
	char *folded = text_fold_space(text);
	if (whole || !*folded) {
		if (*folded)
			strv_push(out, folded);
		free(folded);
		return;
	}
	const char *s = folded, *p = folded;
	while (*p) {
		int cut = 0;
		if ((*p == '.' || *p == '?' || *p == '!' || *p == ';') && p[1] == ' ' &&
		    (isupper((unsigned char)p[2]) || isdigit((unsigned char)p[2]) || p[2] == '(' || p[2] == '"'))
			cut = *p != '.' || !abbreviation(s, p);
		if (cut) {
			strv_push_owned(out, xstrndup(s, (size_t)(p + 1 - s)));
			s = p + 2;
			p = s;
			continue;
		}
		p++;
	}
	if (*s)
		strv_push(out, s);
	free(folded);
}

/* ---- the translator ---- */

struct seg {
	char *src, *zh;
	char sha[65];
	int field;
	int missing; /* index into the request, or -1 when the memory (or an earlier segment) answers */
};

struct job {
	struct translator *t;
	char *symbol;
	struct seg *segs;
	size_t nseg;
	int need[3];
	char en_sha[3][65];
	size_t nmissing, from_memory;
	struct strv req_src; /* the segments asked for, in order */
	int attempts;
};

struct translator {
	struct ev_loop *loop;
	struct archive *a;
	struct translate_opts o;
	struct fetcher *f;
	const struct glossary *g;
	FILE *report;
	ev_timer tick;
	ev_idle kick; /* fills again once the loop is idle: a job that ends never starts the next from its own stack */
	int inflight;
	int once;
	struct strv only; /* translate --once SYMBOL...: these alone */
	struct strv busy; /* the notifications in flight (their queue rows stay pending until they end) */
	/* health */
	char last_success[21], last_error[ERRBUF_SIZE];
	int failures;
	int fatal;
	char fatal_why[ERRBUF_SIZE];
	double paused_until;
	char day[11];
	long chars_today;
	int dirty; /* health or budget changed since the store last heard */
	unsigned done, refused;
	struct drafter *drafter; /* machine drafts of analyses (an OpenAI-compatible provider only) */
};

static const char *health_of(const struct translator *t)
{
	return t->fatal ? "refused" : t->failures >= 3 ? "unhealthy" : t->failures ? "failing"
		: t->last_success[0] ? "ok" : "new";
}

/* The provider's health and the day's budget go to the store, where `sources`, /metrics and the next start read
 * them; at most once a tick (a crash forgets at most a second of the budget). */
static void save_state(struct translator *t)
{
	char err[ERRBUF_SIZE];
	struct ts_row row = {provider_names[t->o.provider], t->o.url, t->o.model, health_of(t), t->last_success,
			     t->fatal ? t->fatal_why : t->last_error, t->day, t->failures, t->chars_today, t->paused_until};
	if (!t->dirty)
		return;
	t->dirty = 0;
	if (store_ts_put(archive_store(t->a), &row, err, sizeof(err)) && t->report)
		fprintf(t->report, "%s\n", err);
}

/* What an earlier run left: the day's budget spent, the last success and failure. */
static void load_state(struct translator *t)
{
	json_t *all = store_ts_get(archive_store(t->a), provider_names[t->o.provider]);
	json_t *o = json_array_get(all, 0);
	const char *day = json_string_value(json_object_get(o, "day"));
	if (day && !strcmp(day, t->day))
		t->chars_today = (long)json_integer_value(json_object_get(o, "chars_day"));
	const char *ok = json_string_value(json_object_get(o, "last_success")),
		   *bad = json_string_value(json_object_get(o, "last_error"));
	if (ok)
		snprintf(t->last_success, sizeof(t->last_success), "%s", ok);
	if (bad)
		snprintf(t->last_error, sizeof(t->last_error), "%s", bad);
	t->failures = (int)json_integer_value(json_object_get(o, "failures"));
	json_decref(all);
}

static void on_kick(struct ev_loop *loop, ev_idle *w, int revents);

struct translator *translator_new(struct ev_loop *loop, struct archive *a, const struct translate_opts *o, char *err,
				  size_t errlen)
{
	if (o->provider == TP_NONE) {
		errf(err, errlen, "no translation provider is configured ([translate] provider)");
		return NULL;
	}
	struct translator *t = xcalloc(1, sizeof(*t));
	struct fetch_opts fo;
	t->loop = loop;
	t->a = a;
	t->o = *o;
	t->g = glossary_builtin();
	strv_init(&t->only);
	strv_init(&t->busy);
	fetch_opts_default(&fo);
	fo.timeout = o->timeout;
	fo.polite_delay = 0;
	fo.allow_file = 0;
	fo.max_host_connections = o->concurrency;
	fo.max_body = 8u << 20;
	t->f = fetcher_new(loop, &fo);
	t->drafter = drafter_new(a, t->f, &t->o);
	ev_timer_init(&t->tick, NULL, 0., 0.);
	ev_idle_init(&t->kick, on_kick);
	t->kick.data = t;
	today_iso(t->day);
	load_state(t);
	return t;
}

void translator_free(struct translator *t)
{
	char err[ERRBUF_SIZE];
	if (!t)
		return;
	ev_timer_stop(t->loop, &t->tick);
	ev_idle_stop(t->loop, &t->kick);
	if (archive_commit(t->a, err, sizeof(err)) && t->report)
		fprintf(t->report, "%s\n", err);
	save_state(t);
	fetcher_free(t->f); /* (a draft in flight is abandoned: its request stays pending for the next start) */
	drafter_free(t->drafter);
	strv_release(&t->only);
	strv_release(&t->busy);
	free(t);
}

void translator_set_report(struct translator *t, FILE *out)
{
	t->report = out;
	drafter_set_report(t->drafter, out);
}

static void job_free(struct job *j)
{
	for (size_t i = 0; i < j->nseg; i++) {
		free(j->segs[i].src);
		free(j->segs[i].zh);
	}
	free(j->segs);
	strv_release(&j->req_src);
	free(j->symbol);
	free(j);
}

static void say(struct translator *t, const char *symbol, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(struct translator *t, const char *symbol, const char *fmt, ...)
{
	va_list ap;
	if (!t->report)
		return;
	fprintf(t->report, "%s: ", symbol);
	va_start(ap, fmt);
	vfprintf(t->report, fmt, ap);
	va_end(ap);
	fputc('\n', t->report);
	fflush(t->report);
}

static void fill(struct translator *t);

/* The job ends: the queue row says so, the next one may start. */
static void job_end(struct job *j, const char *state, const char *error, double next_try, int attempt)
{
	struct translator *t = j->t;
	char err[ERRBUF_SIZE];
	if (store_tq_set(archive_store(t->a), j->symbol, state, error, next_try, attempt, err, sizeof(err)))
		say(t, j->symbol, "%s", err);
	for (size_t i = 0; i < t->busy.n; i++)
		if (!strcmp(t->busy.items[i], j->symbol)) {
			free(t->busy.items[i]);
			t->busy.items[i] = t->busy.items[--t->busy.n];
			break;
		}
	job_free(j);
	t->inflight--;
	if (!ev_is_active(&t->kick))
		ev_idle_start(t->loop, &t->kick);
}

/* Every segment answered: the fields are put together and stored (a person's text is never replaced). */
static void job_finish(struct job *j)
{
	struct translator *t = j->t;
	char err[ERRBUF_SIZE];
	int stored = 0;
	/* The fields in one commit (a savepoint: the alerter may hold the connection's transaction open). */
	int sp = !store_savepoint(archive_store(t->a), "translate_fields", err, sizeof(err));
	for (int k = 0; k < 3; k++) {
		if (!j->need[k])
			continue;
		struct buf zh, en;
		buf_init(&zh, BUF_NOMAX);
		buf_init(&en, BUF_NOMAX);
		for (size_t i = 0; i < j->nseg; i++)
			if (j->segs[i].field == k) {
				buf_addstr(&zh, j->segs[i].zh);
				buf_addf(&en, "%s%s", en.len ? " " : "", j->segs[i].src);
			}
		char missed[1024];
		translate_glossary_missed(t->g, en.s, zh.s, missed, sizeof(missed));
		struct tr_row row = {j->symbol, field_names[k], zh.s, "machine", provider_names[t->o.provider],
				     t->o.model, NULL, missed[0] ? missed : NULL, j->en_sha[k], 0};
		/* The fields join the index feed: indexed once, by the next archive_commit (on the tick). */
		if (archive_translation_put_ex(t->a, &row, 0, err, sizeof(err)))
			say(t, j->symbol, "%s", err);
		else
			stored++;
		buf_release(&zh);
		buf_release(&en);
	}
	if (sp && store_release(archive_store(t->a), "translate_fields", 1, err, sizeof(err)))
		say(t, j->symbol, "%s", err);
	t->done++;
	say(t, j->symbol, "translated %d field%s (%zu segments, %zu from memory)", stored, stored == 1 ? "" : "s", j->nseg,
	    j->from_memory);
	job_end(j, "done", NULL, 0, 0);
}

static json_t *glossary_for(struct translator *t, const struct strv *segs)
{
	json_t *g = json_object();
	for (size_t i = 0; i < t->g->en.n; i++)
		for (size_t s = 0; s < segs->n; s++)
			if (has_term(segs->items[s], t->g->en.items[i])) {
				json_object_set_new(g, t->g->en.items[i], json_string(t->g->zh.items[i]));
				break;
			}
	return g;
}

static char *request_body(struct translator *t, const struct job *j)
{
	json_t *q = json_array(), *body;
	for (size_t i = 0; i < j->req_src.n; i++)
		json_array_append_new(q, json_string(j->req_src.items[i]));
	if (t->o.provider == TP_LIBRE) {
		body = json_pack("{s:o, s:s, s:s, s:s}", "q", q, "source", "en", "target", t->o.target, "format", "text");
		if (t->o.key)
			json_object_set_new(body, "api_key", json_string(t->o.key));
	} else {
		json_t *g = glossary_for(t, &j->req_src);
		struct buf sys;
		buf_init(&sys, BUF_NOMAX);
		buf_addstr(&sys, "You translate WTO TBT/SPS notifications (technical regulations, standards, conformity "
				 "assessment, food safety measures) from English into Simplified Chinese for Chinese exporters. "
				 "Translate each segment faithfully and completely; keep every number, code, standard reference "
				 "and unit exactly as written; use the glossary's Chinese terms. Answer only with a JSON object "
				 "{\"translations\": [...]} holding one string per segment, in the same order.");
		if (json_object_size(g)) {
			char *gs = json_dumps(g, JSON_COMPACT);
			buf_addf(&sys, " Glossary: %s", gs);
			free(gs);
		}
		json_t *user = json_pack("{s:o}", "segments", q);
		char *us = json_dumps(user, 0);
		body = json_pack("{s:s, s:f, s:[{s:s, s:s}, {s:s, s:s}], s:{s:s}}", "model", t->o.model, "temperature", 0.0,
				 "messages", "role", "system", "content", sys.s, "role", "user", "content", us,
				 "response_format", "type", "json_object");
		free(us);
		json_decref(user);
		json_decref(g);
		buf_release(&sys);
	}
	char *s = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	return s;
}

/* The answer's translations, one per segment asked for, or NULL with why. */
static json_t *parse_answer(struct translator *t, const struct fetch_result *r, size_t want, char *why, size_t whylen)
{
	json_error_t jerr;
	json_t *root = json_loadb(r->body.s, r->body.len, 0, &jerr), *list = NULL;
	if (!root) {
		errf(why, whylen, "the answer is not JSON (%s%s)", jerr.text,
		     r->body.len && r->body.s[0] == '<' ? "; an HTML error page?" : "");
		return NULL;
	}
	if (t->o.provider == TP_LIBRE) {
		json_t *tt = json_object_get(root, "translatedText");
		list = json_is_array(tt) ? json_incref(tt) : json_is_string(tt) ? json_pack("[O]", tt) : NULL;
		if (!list)
			errf(why, whylen, "the answer has no translatedText");
	} else {
		const char *content = json_string_value(
		    json_object_get(json_object_get(json_array_get(json_object_get(root, "choices"), 0), "message"), "content"));
		if (!content) {
			errf(why, whylen, "the answer has no choices[0].message.content");
		} else {
			/* Some servers wrap the JSON in a code fence. */
			const char *b = strchr(content, '{'), *e = strrchr(content, '}');
			json_t *c = b && e && e > b ? json_loadb(b, (size_t)(e - b + 1), 0, &jerr) : NULL;
			json_t *tr = json_object_get(c, "translations");
			list = json_is_array(tr) ? json_incref(tr) : NULL;
			if (!list)
				errf(why, whylen, "the model's answer is not {\"translations\": [...]}");
			json_decref(c);
		}
	}
	json_decref(root);
	if (list && json_array_size(list) != want) {
		errf(why, whylen, "the answer holds %zu translations for %zu segments", json_array_size(list), want);
		json_decref(list);
		return NULL;
	}
	return list;
}

static void note_failure(struct translator *t, const char *why)
{
	t->failures++;
	t->dirty = 1;
	snprintf(t->last_error, sizeof(t->last_error), "%s", why);
}

/* The provider failed (failures already counted): the provider pauses and the notification waits, by backoff,
 * never less than the provider's Retry-After. */
static void retry_later(struct job *j, const char *why, double retry_after)
{
	struct translator *t = j->t;
	double now = now_epoch();
	double delay = fmin(3600, t->o.retry_base * pow(2, t->failures > 7 ? 7 : t->failures - 1));
	if (retry_after > delay)
		delay = retry_after;
	t->paused_until = now + delay;
	say(t, j->symbol, "%s (trying again in %.0f s)", why, delay);
	job_end(j, "pending", why, now + delay, 0);
}

static void on_answer(void *arg, struct fetch_result *r)
{
	struct job *j = arg;
	struct translator *t = j->t;
	char why[ERRBUF_SIZE], err[ERRBUF_SIZE];
	double now = now_epoch();
	if (r->failed || r->status != 200) {
		errf(why, sizeof(why), "%s: %s", t->o.url, r->error[0] ? r->error : "unexpected answer");
		note_failure(t, why);
		if (r->status == 401 || r->status == 403) {
			t->fatal = 1;
			snprintf(t->fatal_why, sizeof(t->fatal_why), "the provider refused the key (HTTP %ld)", r->status);
			t->paused_until = now + 3600;
			say(t, j->symbol, "%s", t->fatal_why);
			/* The provider's fault, not the notification's: it is due again as soon as the key is right. */
			job_end(j, "pending", t->fatal_why, now, 0);
		} else if (r->status == 400 || r->status == 413 || r->status == 422) {
			say(t, j->symbol, "the provider refused the request (HTTP %ld): left for a person", r->status);
			job_end(j, "failed", why, 0, 1);
		} else {
			/* 429, 5xx, timeouts, refused connections: later, never sooner than the provider asked. */
			if (r->status == 0 && t->once && !t->done) {
				t->fatal = 1;
				errf(t->fatal_why, sizeof(t->fatal_why), "the provider could not be reached: %s", r->error);
			}
			retry_later(j, why, r->retry_after);
		}
		return;
	}
	json_t *list = parse_answer(t, r, j->req_src.n, why, sizeof(why));
	if (!list) {
		note_failure(t, why);
		retry_later(j, why, 0);
		return;
	}
	t->failures = 0;
	t->last_error[0] = '\0';
	t->dirty = 1;
	now_iso(t->last_success);
	int refused = 0;
	char first_refusal[ERRBUF_SIZE] = "";
	int sp = !store_savepoint(archive_store(t->a), "translate_memory", err, sizeof(err));
	for (size_t k = 0; k < j->req_src.n; k++) {
		const char *src = j->req_src.items[k], *zh = json_string_value(json_array_get(list, k));
		const char *bad_why = translate_check(src, zh);
		char sha[65];
		sha256_hex(src, strlen(src), sha);
		if (bad_why) {
			if (!refused++)
				snprintf(first_refusal, sizeof(first_refusal), "\"%.80s%s\" refused: %s", src,
					 strlen(src) > 80 ? "…" : "", bad_why);
			continue;
		}
		/* Glossary misses are judged on the whole field when it is stored (job_finish), not per segment. */
		if (store_tm_put(archive_store(t->a), sha, src, zh, provider_names[t->o.provider], t->o.model, NULL, err,
				 sizeof(err)))
			say(t, j->symbol, "%s", err);
		for (size_t i = 0; i < j->nseg; i++)
			if (!j->segs[i].zh && !strcmp(j->segs[i].sha, sha))
				j->segs[i].zh = xstrdup(zh);
	}
	json_decref(list);
	if (sp && store_release(archive_store(t->a), "translate_memory", 1, err, sizeof(err)))
		say(t, j->symbol, "%s", err);
	if (refused) {
		t->refused += (unsigned)refused;
		if (j->attempts == 0) {
			say(t, j->symbol, "%s; asking once more", first_refusal);
			job_end(j, "pending", first_refusal, now + 1, 1);
		} else {
			say(t, j->symbol, "%s; left for a person", first_refusal);
			job_end(j, "failed", first_refusal, 0, 1);
		}
		return;
	}
	job_finish(j);
}

/* Midnight UTC after now: when a day's budget opens again. */
static double tomorrow(void)
{
	time_t now = (time_t)now_epoch();
	return (double)(now - now % 86400 + 86400);
}

int translate_post(struct fetcher *f, const struct translate_opts *o, const char *body, fetch_done_fn done, void *arg)
{
	struct buf url, auth;
	buf_init(&url, BUF_NOMAX);
	buf_init(&auth, BUF_NOMAX);
	size_t ul = strlen(o->url);
	buf_addf(&url, "%.*s%s", (int)(ul && o->url[ul - 1] == '/' ? ul - 1 : ul), o->url,
		 o->provider == TP_LIBRE ? "/translate" : "/chat/completions");
	const char *headers[3] = {"Content-Type: application/json", NULL, NULL};
	if (o->provider == TP_OPENAI && o->key) {
		buf_addf(&auth, "Authorization: Bearer %s", o->key);
		headers[1] = auth.s;
	}
	struct fetch_req req = {url.s, NULL, NULL, headers, headers[1]};
	req.body = body;
	req.body_len = strlen(body);
	int rc = fetch_start(f, &req, done, arg); /* (the request's strings are copied) */
	buf_release(&url);
	buf_release(&auth);
	return rc;
}

/* A new UTC day opens a new budget. */
static void roll_day(struct translator *t)
{
	char today[11];
	today_iso(today);
	if (strcmp(today, t->day)) {
		memcpy(t->day, today, sizeof(t->day));
		t->chars_today = 0;
	}
}

static void job_start(struct translator *t, const char *symbol, int attempts)
{
	struct store *st = archive_store(t->a);
	struct notif *n;
	char err[ERRBUF_SIZE];
	struct job *j = xcalloc(1, sizeof(*j));
	j->t = t;
	j->symbol = xstrdup(symbol);
	j->attempts = attempts;
	strv_init(&j->req_src);
	t->inflight++;
	if (store_get(st, symbol, &n, NULL, err, sizeof(err))) {
		job_end(j, "done", "no longer in the archive", 0, 0);
		return;
	}
	json_t *tr = store_tr_get(st, symbol);
	const struct notif_text *en = &n->text[LANG_EN], *zh = &n->text[LANG_ZH];
	const char *en_f[3] = {en->title, en->description, en->products}, *zh_f[3] = {zh->title, zh->description, zh->products};
	for (int k = 0; k < 3; k++) {
		if (!en_f[k] || zh_f[k])
			continue; /* nothing to translate, or the source's Chinese */
		json_t *f = json_object_get(tr, field_names[k]);
		sha256_hex(en_f[k], strlen(en_f[k]), j->en_sha[k]);
		const char *by = json_string_value(json_object_get(f, "by"));
		const char *sha = json_string_value(json_object_get(f, "src_sha"));
		if ((by && !strcmp(by, "human")) || (sha && !strcmp(sha, j->en_sha[k])))
			continue; /* a person's text, or a machine's of this very English */
		struct strv segs;
		strv_init(&segs);
		translate_segments(en_f[k], k == 0, &segs);
		j->segs = xrealloc(j->segs, (j->nseg + segs.n) * sizeof(*j->segs));
		for (size_t i = 0; i < segs.n; i++) {
			struct seg *s = &j->segs[j->nseg++];
			s->src = xstrdup(segs.items[i]);
			s->field = k;
			sha256_hex(s->src, strlen(s->src), s->sha);
			s->zh = store_tm_get(st, s->sha);
			if (s->zh) {
				j->from_memory++;
			} else if (!strv_contains(&j->req_src, s->src)) {
				strv_push(&j->req_src, s->src);
			}
		}
		j->need[k] = segs.n > 0;
		strv_release(&segs);
	}
	json_decref(tr);
	notif_free(n);
	if (!j->need[0] && !j->need[1] && !j->need[2]) {
		job_end(j, "done", NULL, 0, 0);
		return;
	}
	if (!j->req_src.n) {
		job_finish(j);
		return;
	}
	/* The day's budget. */
	roll_day(t);
	long chars = 0;
	for (size_t i = 0; i < j->req_src.n; i++)
		chars += (long)strlen(j->req_src.items[i]);
	if (t->o.max_chars_per_day && t->chars_today + chars > t->o.max_chars_per_day) {
		snprintf(t->last_error, sizeof(t->last_error),
			 "the day's budget of %ld characters is used: waiting for tomorrow (UTC)", t->o.max_chars_per_day);
		t->paused_until = tomorrow();
		t->dirty = 1;
		say(t, j->symbol, "%s", t->last_error);
		job_end(j, "pending", t->last_error, t->paused_until, 0);
		return;
	}
	t->chars_today += chars;
	t->dirty = 1;
	char *body = request_body(t, j);
	if (translate_post(t->f, &t->o, body, on_answer, j)) {
		note_failure(t, "the provider's URL is not http or https");
		job_end(j, "pending", t->last_error, now_epoch() + 3600, 0);
	}
	free(body);
}

static void fill(struct translator *t)
{
	char err[ERRBUF_SIZE];
	double now = now_epoch();
	int started = 0, rounds = 0;
	if (t->fatal && t->once) {
		if (!t->inflight)
			ev_break(t->loop, EVBREAK_ONE);
		return;
	}
	if (now < t->paused_until) {
		if (t->once && !t->inflight)
			ev_break(t->loop, EVBREAK_ONE);
		return;
	}
	/* Jobs the memory answers end at once: go on while they do, a bounded number of rounds per loop turn. */
	for (int more = 1; more && t->inflight < t->o.concurrency && rounds++ < 64;) {
		struct strv due;
		int want = t->o.concurrency - t->inflight;
		more = 0;
		strv_init(&due);
		if (store_tq_due(archive_store(t->a), now, want + t->inflight + (int)t->only.n, &due, err, sizeof(err)))
			say(t, "*", "%s", err);
		for (size_t i = 0; i < due.n && t->inflight < t->o.concurrency && !t->fatal; i++) {
			if ((t->only.n && !strv_contains(&t->only, due.items[i])) || strv_contains(&t->busy, due.items[i]))
				continue;
			json_t *row = store_tq_row(archive_store(t->a), due.items[i]);
			int attempts = (int)json_integer_value(json_object_get(row, "attempts"));
			json_decref(row);
			started++;
			more = 1;
			strv_push(&t->busy, due.items[i]);
			job_start(t, due.items[i], attempts);
		}
		strv_release(&due);
	}
	/* A machine draft an analyst asked for, beside the translations, on the same budget (the service only). */
	if (!t->once && !t->fatal) {
		roll_day(t);
		long left = t->o.max_chars_per_day ? t->o.max_chars_per_day - t->chars_today : -1;
		long spent = drafter_fill(t->drafter, left < 0 && t->o.max_chars_per_day ? 0 : left);
		if (spent) {
			t->chars_today += spent;
			t->dirty = 1;
		}
	}
	if (rounds > 64 && !ev_is_active(&t->kick))
		ev_idle_start(t->loop, &t->kick);
	else if (t->once && !t->inflight && !started && !ev_is_active(&t->kick))
		ev_break(t->loop, EVBREAK_ONE);
}

static void on_kick(struct ev_loop *loop, ev_idle *w, int revents)
{
	(void)revents;
	ev_idle_stop(loop, w);
	fill(w->data);
}

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct translator *t = w->data;
	char err[ERRBUF_SIZE];
	(void)loop;
	(void)revents;
	/* What was translated since the last tick becomes searchable. */
	if (archive_commit(t->a, err, sizeof(err)))
		say(t, "*", "%s", err);
	save_state(t);
	fill(t);
}

void translator_start(struct translator *t)
{
	ev_timer_init(&t->tick, on_tick, 0.5, 1.0);
	t->tick.data = t;
	ev_timer_start(t->loop, &t->tick);
}

void translator_run_once(struct translator *t, const struct strv *symbols)
{
	char err[ERRBUF_SIZE];
	t->once = 1;
	for (size_t i = 0; symbols && i < symbols->n; i++) {
		strv_push(&t->only, symbols->items[i]);
		if (store_tq_add(archive_store(t->a), symbols->items[i], err, sizeof(err)))
			say(t, symbols->items[i], "%s", err);
	}
	/* A retry due within a few seconds (a refused answer asked once more) is waited for. */
	ev_timer_init(&t->tick, on_tick, 0.2, 0.5);
	t->tick.data = t;
	ev_timer_start(t->loop, &t->tick);
	fill(t);
	if (t->inflight || !t->fatal)
		ev_run(t->loop, 0);
	ev_timer_stop(t->loop, &t->tick);
	if (archive_commit(t->a, err, sizeof(err)))
		say(t, "*", "%s", err);
}

int translator_fatal(const struct translator *t, char *why, size_t whylen)
{
	if (t->fatal)
		snprintf(why, whylen, "%s", t->fatal_why);
	return t->fatal;
}

json_t *translator_health_json(struct translator *t)
{
	json_t *o = json_object();
	const char *health = health_of(t);
	json_object_set_new(o, "provider", json_string(provider_names[t->o.provider]));
	json_object_set_new(o, "url", json_string(t->o.url));
	json_object_set_new(o, "model", t->o.model ? json_string(t->o.model) : json_null());
	json_object_set_new(o, "health", json_string(health));
	json_object_set_new(o, "last_success", t->last_success[0] ? json_string(t->last_success) : json_null());
	json_object_set_new(o, "last_error", t->last_error[0] ? json_string(t->last_error) : json_null());
	json_object_set_new(o, "failures", json_integer(t->failures));
	json_object_set_new(o, "chars_today", json_integer(t->chars_today));
	json_object_set_new(o, "budget", json_integer(t->o.max_chars_per_day));
	json_object_set_new(o, "translated", json_integer(t->done));
	json_object_set_new(o, "refused_segments", json_integer(t->refused));
	json_object_set_new(o, "queue", store_tq_counts(archive_store(t->a)));
	return o;
}

json_t *translator_state_json(struct archive *a, const struct translate_opts *o)
{
	if (o->provider == TP_NONE)
		return NULL;
	char name[64], today[11], until[21] = "";
	snprintf(name, sizeof(name), "translator:%s", provider_names[o->provider]);
	today_iso(today);
	json_t *all = store_ts_get(archive_store(a), provider_names[o->provider]);
	json_t *row = json_array_get(all, 0);
	const char *day = json_string_value(json_object_get(row, "day"));
	double paused = json_real_value(json_object_get(row, "paused_until"));
	if (paused > now_epoch())
		epoch_iso(paused, until);
	json_t *out = json_pack("{s:s, s:s, s:s, s:o, s:O, s:O, s:O, s:o, s:I, s:I, s:I, s:o}", "name", name, "kind",
				"translator", "url", o->url ? o->url : "", "model", o->model ? json_string(o->model) : json_null(),
				"health", row ? json_object_get(row, "health") : json_string("new"), "last_success",
				row ? json_object_get(row, "last_success") : json_null(), "last_error",
				row ? json_object_get(row, "last_error") : json_null(), "next_run",
				until[0] ? json_string(until) : json_null(), "failures",
				(json_int_t)json_integer_value(json_object_get(row, "failures")), "chars_today",
				(json_int_t)(day && !strcmp(day, today) ? json_integer_value(json_object_get(row, "chars_day")) : 0),
				"budget", (json_int_t)o->max_chars_per_day, "queue", store_tq_counts(archive_store(a)));
	json_decref(all);
	return out;
}

/* ---- a probe, for doctor ---- */

struct probe {
	struct translator *t;
	char *why;
	size_t whylen;
	int ok;
};

static void on_probe(void *arg, struct fetch_result *r)
{
	struct probe *p = arg;
	if (r->failed || r->status != 200) {
		errf(p->why, p->whylen, "%s%s", r->error[0] ? r->error : "unexpected answer",
		     r->status == 401 || r->status == 403 ? " (the key is refused)" : "");
	} else {
		json_t *list = parse_answer(p->t, r, 1, p->why, p->whylen);
		const char *bad_why = list ? translate_check(PROBE_TEXT, json_string_value(json_array_get(list, 0))) : NULL;
		if (list && bad_why)
			errf(p->why, p->whylen, "the test sentence came back refused: %s", bad_why);
		p->ok = list && !bad_why;
		json_decref(list);
	}
	ev_break(p->t->loop, EVBREAK_ONE);
}

int translator_probe(struct translator *t, char *why, size_t whylen)
{
	struct job j;
	struct probe p = {t, why, whylen, 0};
	memset(&j, 0, sizeof(j));
	strv_init(&j.req_src);
	strv_push(&j.req_src, PROBE_TEXT);
	char *body = request_body(t, &j);
	translate_post(t->f, &t->o, body, on_probe, &p);
	ev_run(t->loop, 0);
	free(body);
	strv_release(&j.req_src);
	return p.ok ? 0 : -EIO;
}
