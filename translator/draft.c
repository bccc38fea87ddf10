/* draft.c: machine drafts of analyses (draft.h). */
#include "draft.h"
#include "advice.h"
#include "text.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct drafter {
	struct archive *a;
	struct fetcher *f;
	const struct translate_opts *o;
	FILE *report;
	char *symbol; /* in flight, or NULL */
	double paused_until;
};

static const char system_prompt[] =
	"You assist the WTO TBT/SPS enquiry office of Guangdong province, China. From the notification given as JSON, "
	"draft in Simplified Chinese the office's analysis for Guangdong exporters, most of them small firms. Answer "
	"only with a JSON object {\"summary_zh\": \"...\", \"requirements_zh\": \"...\", \"actions_zh\": [\"...\"]}: "
	"summary_zh in two to four sentences says what changes, for which products, in which market, by when; "
	"requirements_zh lists what the measure requires (limits, tests, standards, labels, certificates), keeping "
	"every number, code and standard reference exactly as written; actions_zh gives three to six concrete steps "
	"with their dates (comment before the deadline, test to a named standard, certify, relabel, watch the "
	"adoption). Use only facts in the notification; where it says nothing, write 待核实 rather than guess. An "
	"analyst will check and edit your draft before anything is published.";

struct drafter *drafter_new(struct archive *a, struct fetcher *f, const struct translate_opts *o)
{
	struct drafter *d = xcalloc(1, sizeof(*d));
	d->a = a;
	d->f = f;
	d->o = o;
	return d;
}

void drafter_free(struct drafter *d)
{
	if (!d)
		return;
	free(d->symbol);
	free(d);
}

void drafter_set_report(struct drafter *d, FILE *out)
{
	d->report = out;
}

int drafter_busy(const struct drafter *d)
{
	return d->symbol != NULL;
}

static void say(struct drafter *d, const char *symbol, const char *what, const char *why)
{
	if (d->report) {
		fprintf(d->report, "%s: machine draft %s%s%s\n", symbol, what, why ? ": " : "", why ? why : "");
		fflush(d->report);
	}
}

json_t *draft_check(const char *content, const char *model, char *why, size_t whylen)
{
	json_error_t jerr;
	/* Some servers wrap the JSON in a code fence. */
	const char *b = content ? strchr(content, '{') : NULL, *e = content ? strrchr(content, '}') : NULL;
	json_t *c = b && e && e > b ? json_loadb(b, (size_t)(e - b + 1), 0, &jerr) : NULL;
	const char *sum = json_string_value(json_object_get(c, "summary_zh"));
	const char *req = json_string_value(json_object_get(c, "requirements_zh"));
	json_t *acts = json_object_get(c, "actions_zh"), *x;
	size_t i;
	const char *bad = !json_is_object(c)                                     ? "the answer is not a JSON object"
		: !sum || !*sum || strlen(sum) > 4000                             ? "summary_zh is missing or over 4,000 bytes"
		: !translate_has_cjk(sum)                                         ? "summary_zh is not Chinese"
		: (json_object_get(c, "requirements_zh") && !req) || (req && strlen(req) > 8000) ? "requirements_zh is not a text of at most 8,000 bytes"
		: !json_is_array(acts) || !json_array_size(acts) || json_array_size(acts) > 20 ? "actions_zh is not a list of 1 to 20 steps"
											: NULL;
	json_array_foreach(bad ? NULL : acts, i, x)
	{
		const char *t = json_string_value(x);
		if (!t || !*t || strlen(t) > 1000)
			bad = "a step of actions_zh is not a text of 1 to 1,000 bytes";
	}
	if (!bad && (!utf8_valid(sum, strlen(sum), NULL) || (req && !utf8_valid(req, strlen(req), NULL))))
		bad = "the answer is not valid UTF-8";
	if (bad) {
		errf(why, whylen, "%s", bad);
		json_decref(c);
		return NULL;
	}
	json_t *doc = json_pack("{s:s, s:s, s:O, s:[], s:s}", "summary_zh", sum, "requirements_zh", req ? req : "",
				"actions_zh", acts, "links", "machine", model ? model : "?");
	json_decref(c);
	return doc;
}

/* What the model is told of the notification: its facts, not our links or our analysis. */
static json_t *facts(struct archive *a, const char *symbol)
{
	json_t *show = NULL, *f;
	char err[ERRBUF_SIZE];
	if (archive_show(a, symbol, &show, err, sizeof(err)))
		return NULL;
	json_t *en = json_object_get(json_object_get(show, "text"), "en");
	json_t *cats = json_array(), *c;
	size_t i;
	json_array_foreach(json_object_get(show, "categories"), i, c)
		json_array_append(cats, json_object_get(c, "name_zh"));
	f = json_pack("{s:O, s:O, s:O, s:O, s:O?, s:O?, s:O?, s:O?, s:O?, s:O, s:o, s:O?}", "symbol",
		      json_object_get(show, "symbol"), "kind", json_object_get(show, "kind"), "type",
		      json_object_get(show, "type"), "member", json_object_get(show, "member"), "member_name",
		      json_object_get(en, "member_name"), "agency", json_object_get(en, "agency"), "title",
		      json_object_get(en, "title"), "products", json_object_get(en, "products"), "description",
		      json_object_get(en, "description"), "hs", json_object_get(show, "hs"), "categories_zh", cats,
		      "dates", json_object_get(show, "effective_dates"));
	json_t *zh = json_object_get(json_object_get(show, "translations"), "zh");
	if (json_object_size(zh))
		json_object_set(f, "machine_translation_zh", zh);
	json_decref(show);
	return f;
}

static void finish(struct drafter *d, const char *state, const char *why, double next_try)
{
	char err[ERRBUF_SIZE];
	if (draft_request_set(archive_store(d->a), d->symbol, state, why, next_try, err, sizeof(err)))
		say(d, d->symbol, "state not saved", err);
	say(d, d->symbol, state, why);
	free(d->symbol);
	d->symbol = NULL;
}

struct keep {
	const char *symbol;
	const json_t *doc;
	const char *state; /* done, or superseded when a person's text is there */
};

/* Stores the draft as the analysis's unpublished text, unless a person's text is there. */
static int keep_draft(struct store *st, void *arg, char *err, size_t errlen)
{
	struct keep *k = arg;
	int rc = 0, first = 0;
	json_t *cur = store_analysis_get(st, k->symbol, 0);
	if (cur && !json_object_get(cur, "machine")) {
		k->state = "superseded";
	} else {
		char *text = json_dumps(k->doc, JSON_COMPACT | JSON_SORT_KEYS);
		rc = store_analysis_put(st, k->symbol, text, 0, "machine", &first, err, errlen);
		free(text);
	}
	json_decref(cur);
	return rc;
}

static void on_draft(void *arg, struct fetch_result *r)
{
	struct drafter *d = arg;
	struct store *st = archive_store(d->a);
	char why[ERRBUF_SIZE], err[ERRBUF_SIZE];
	double now = now_epoch();
	json_t *req = draft_request_get(st, d->symbol);
	int attempts = (int)json_integer_value(json_object_get(req, "attempts"));
	json_decref(req);
	if (r->failed || r->status != 200) {
		errf(why, sizeof(why), "%s: %s", d->o->url, r->error[0] ? r->error : "unexpected answer");
		if (r->status == 400 || r->status == 401 || r->status == 403 || r->status == 413 || r->status == 422 ||
		    attempts >= 4) {
			finish(d, "failed", why, 0);
		} else {
			double delay = r->retry_after > 60 ? r->retry_after : 60.0 * (attempts + 1);
			d->paused_until = now + delay;
			finish(d, "pending", why, now + delay);
		}
		return;
	}
	json_error_t jerr;
	json_t *root = json_loadb(r->body.s, r->body.len, 0, &jerr);
	const char *content = json_string_value(
	    json_object_get(json_object_get(json_array_get(json_object_get(root, "choices"), 0), "message"), "content"));
	json_t *doc = draft_check(content, d->o->model, why, sizeof(why));
	json_decref(root);
	if (!doc) {
		if (attempts >= 1)
			finish(d, "failed", why, 0);
		else
			finish(d, "pending", why, now + 1);
		return;
	}
	/* A person may have written meanwhile: their text stays. The check and the write in one savepoint. */
	struct keep k = {d->symbol, doc, "done"};
	int rc = store_in_savepoint(st, "machine_draft", keep_draft, &k, err, sizeof(err));
	const char *state = k.state;
	json_decref(doc);
	if (rc)
		finish(d, "pending", err, now + 60);
	else
		finish(d, state, !strcmp(state, "superseded") ? "a person's analysis was written meanwhile: kept" : NULL, 0);
}

long drafter_fill(struct drafter *d, long budget)
{
	char err[ERRBUF_SIZE];
	struct strv due;
	double now = now_epoch();
	long spent = 0;
	if (d->symbol || now < d->paused_until || d->o->provider != TP_OPENAI)
		return 0;
	strv_init(&due);
	if (draft_request_due(archive_store(d->a), now, 1, &due, err, sizeof(err)))
		say(d, "*", "queue not read", err);
	if (!due.n) {
		strv_release(&due);
		return 0;
	}
	/* Taken in one statement, so that two instances never draft the same request. */
	int taken = draft_request_claim(archive_store(d->a), due.items[0], now, now + 2 * d->o->timeout + 60, err, sizeof(err));
	if (taken <= 0) {
		if (taken < 0)
			say(d, due.items[0], "not taken", err);
		strv_release(&due);
		return 0;
	}
	d->symbol = xstrdup(due.items[0]);
	strv_release(&due);
	json_t *f = facts(d->a, d->symbol);
	if (!f) {
		finish(d, "failed", "no longer in the archive", 0);
		return 0;
	}
	char *user = json_dumps(f, JSON_COMPACT);
	json_decref(f);
	spent = (long)strlen(user);
	if (budget >= 0 && spent > budget) {
		free(user);
		d->paused_until = now + 3600;
		finish(d, "pending", "the day's character budget is used: waiting", now + 3600);
		return 0;
	}
	json_t *body = json_pack("{s:s, s:f, s:[{s:s, s:s}, {s:s, s:s}], s:{s:s}}", "model", d->o->model, "temperature", 0.2,
				 "messages", "role", "system", "content", system_prompt, "role", "user", "content", user,
				 "response_format", "type", "json_object");
	free(user);
	char *bs = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (translate_post(d->f, d->o, bs, on_draft, d)) {
		finish(d, "failed", "the provider's URL is not http or https", 0);
		spent = 0;
	}
	free(bs);
	return spent;
}
