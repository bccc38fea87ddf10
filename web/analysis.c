/* analysis.c: the province's analysis of a notification and the advice beside it (解读与应对建议): the analyst's
 * text with its history and follow-up alerts, experts' advice entries accepted by an analyst, and machine drafts
 * an analyst asks for and reviews. Routes under /api/notifications/{symbol}/analysis and /advice. */
#include "http.h"
#include "accounts.h"
#include "advice.h"

#include "text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A text field of the analysis: absent, or a UTF-8 string of at most max bytes. */
static const char *an_text(json_t *body, const char *key, size_t max, int *bad)
{
	json_t *v = json_object_get(body, key);
	if (!v)
		return NULL;
	const char *t = json_string_value(v);
	if (!t || strlen(t) > max || !utf8_valid(t, strlen(t), NULL))
		*bad = 1;
	return t;
}

/* A list of at most max strings of at most each bytes (links: http or https URLs without spaces). */
static int an_list(json_t *body, const char *key, size_t max, size_t each, int links)
{
	json_t *v = json_object_get(body, key), *x;
	size_t i;
	if (!v)
		return 1;
	if (!json_is_array(v) || json_array_size(v) > max)
		return 0;
	json_array_foreach(v, i, x)
	{
		const char *t = json_string_value(x);
		if (!t || !*t || strlen(t) > each || !utf8_valid(t, strlen(t), NULL))
			return 0;
		if (links && ((!starts_with(t, "https://") && !starts_with(t, "http://")) || strpbrk(t, " \t\r\n<>\"")))
			return 0;
	}
	return 1;
}

/* Whether an expert's categories (comma-separated) meet the notification's. */
static int expert_may(const struct session *s, const json_t *show)
{
	const json_t *c;
	size_t i;
	json_array_foreach(json_object_get(show, "categories"), i, c)
	{
		const char *id = json_string_value(json_object_get(c, "id"));
		size_t n = id ? strlen(id) : 0;
		for (const char *p = s->categories; n && (p = strstr(p, id)); p += n)
			if ((p == s->categories || p[-1] == ',') && (p[n] == ',' || !p[n]))
				return 1;
	}
	return 0;
}


/* The notification (404 when there is none): its canonical symbol in sym, its JSON in *show (caller's). */
static int find_notification(struct req *r, const char *symbol, char sym[128], json_t **show, enum MHD_Result *answered)
{
	char err[ERRBUF_SIZE];
	int rc = archive_show(r->w->a, symbol, show, err, sizeof(err));
	if (rc == -ENOENT || rc == -EINVAL) {
		*answered = respond_error(r, 404, "not_found", "没有通报 %s (no notification %s in the archive)", symbol, symbol);
		return 0;
	}
	if (rc) {
		*answered = respond_error(r, 500, "store_failed", "%s", err);
		return 0;
	}
	snprintf(sym, 128, "%s", json_string_value(json_object_get(*show, "symbol")));
	return 1;
}

/* The body as a JSON object, or NULL after answering 400. */
static json_t *body_object(struct req *r, enum MHD_Result *answered)
{
	json_error_t jerr;
	json_t *body = json_loadb(r->body.s, r->body.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(body)) {
		json_decref(body);
		*answered = respond_error(r, 400, "bad_json", "the body is not a JSON object (%s at line %d, column %d)",
					  jerr.text, jerr.line, jerr.column);
		return NULL;
	}
	return body;
}

struct publish {
	const char *sym, *text, *user;
	int published, first, queued;
	struct archive *a;
};

static int save_analysis(struct store *st, void *arg, char *err, size_t errlen)
{
	struct publish *p = arg;
	int rc = store_analysis_put(st, p->sym, p->text, p->published, p->user, &p->first, err, errlen);
	/* The text, its history and the follow-ups in one transaction: a crash leaves all or none. */
	if (!rc && p->first && (p->queued = alert_queue_analysis(p->a, p->sym, err, errlen)) < 0)
		rc = p->queued;
	return rc;
}

/*
 * GET /api/notifications/{symbol}/analysis: the published analysis (?draft=1, staff: the current text, published or
 * not); .../analysis/history: every version (staff). PUT (analyst or admin): {summary_zh, requirements_zh,
 * actions_zh: [...], links: [...], published}. The first publication queues one follow-up alert to every
 * subscriber already alerted to the notification, in the same transaction. A machine draft is published only with
 * "reviewed": true (the analyst says they read it); what was published from one says so (machine_model).
 */
static enum MHD_Result api_analysis(struct req *r, const char *symbol, int history)
{
	struct store *st = archive_store(r->w->a);
	struct session by;
	enum MHD_Result answered;
	char err[ERRBUF_SIZE], sym[128];
	json_t *show;
	const int staff = ROLE_ADMIN | ROLE_ANALYST | ROLE_EXPERT;
	if (!find_notification(r, symbol, sym, &show, &answered))
		return answered;
	/* Drafts and history are the staff's; an expert's, on their own categories only. */
	int staffed = 0, outside = 0;
	if (history || req_param(r, "draft")) {
		staffed = staff_ok(r, staff, &by, &answered);
		outside = staffed && by.role == ROLE_EXPERT && !expert_may(&by, show);
	}
	json_decref(show);
	if (!strcmp(r->method, "GET") || r->head) {
		int draft = req_param(r, "draft") != NULL;
		if ((history || draft) && !staffed)
			return answered;
		if (outside)
			return respond_error(r, 403, "forbidden", "专家只能查看其领域（%s）的解读草稿 (an expert reads drafts on their categories only)",
					     by.categories[0] ? by.categories : "无");
		if (history)
			return respond_json(r, 200, store_analysis_history(st, sym));
		json_t *an = store_analysis_get(st, sym, !draft);
		if (!an)
			return respond_error(r, 404, "not_found", "%s 尚无已发布的解读 (no published analysis of %s yet)", sym, sym);
		return respond_json(r, 200, an);
	}
	if (strcmp(r->method, "PUT") || history)
		return respond_error(r, 405, "method_not_allowed", "%s is not allowed here", r->method);
	if (!staff_ok(r, staff, &by, &answered))
		return answered;
	if (by.role == ROLE_EXPERT)
		return respond_error(r, 403, "forbidden",
				     "解读由分析员撰写；专家请通过 POST …/advice 提出建议 (experts add advice: POST .../advice)");
	if (r->w->o.read_only)
		return respond_error(r, 503, "read_only", "this server is a read-only mirror");
	json_t *body = body_object(r, &answered);
	if (!body)
		return answered;
	int bad = 0, published = json_is_true(json_object_get(body, "published"));
	const char *sum = an_text(body, "summary_zh", 4000, &bad), *req = an_text(body, "requirements_zh", 8000, &bad);
	json_t *current = store_analysis_get(st, sym, 0);
	const char *machine = json_string_value(json_object_get(current, "machine"));
	const char *why = bad ? "summary_zh (at most 4,000 bytes) and requirements_zh (8,000) are UTF-8 strings"
		: !an_list(body, "actions_zh", 20, 1000, 0) ? "actions_zh is a list of at most 20 texts of at most 1,000 bytes"
		: !an_list(body, "links", 10, 2000, 1)      ? "links is a list of at most 10 http or https addresses"
		: published && !(sum && *sum)               ? "a published analysis needs its summary_zh"
		: json_object_get(body, "published") && !json_is_boolean(json_object_get(body, "published")) ? "published is true or false"
													       : NULL;
	if (why) {
		json_decref(body);
		json_decref(current);
		return respond_error(r, 400, "bad_parameter", "%s", why);
	}
	if (published && machine && !json_is_true(json_object_get(body, "reviewed"))) {
		json_decref(body);
		json_decref(current);
		return respond_error(r, 409, "review_required",
				     "这是机器草稿，须经分析员审核后发布：请核对全文后以 \"reviewed\": true 提交 "
				     "(a machine draft is published only once reviewed: send \"reviewed\": true)");
	}
	json_t *doc = json_object();
	json_object_set_new(doc, "summary_zh", json_string(sum ? sum : ""));
	json_object_set_new(doc, "requirements_zh", json_string(req ? req : ""));
	json_object_set(doc, "actions_zh", json_object_get(body, "actions_zh") ? json_object_get(body, "actions_zh") : json_array());
	json_object_set(doc, "links", json_object_get(body, "links") ? json_object_get(body, "links") : json_array());
	/* Where the text began: a machine draft, reviewed by this person. */
	const char *model = machine ? machine : json_string_value(json_object_get(current, "machine_model"));
	if (model)
		json_object_set_new(doc, "machine_model", json_string(model));
	char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(doc);
	json_decref(body);
	json_decref(current);
	struct publish p = {sym, text, by.user, published, 0, 0, r->w->a};
	/* (A savepoint: in the service the alerter may hold the connection's transaction open; then its commit makes this
	 * durable, with its own outcomes.) */
	int rc = store_in_savepoint(st, "analysis", save_analysis, &p, err, sizeof(err));
	free(text);
	if (rc)
		return respond_error(r, 500, "store_failed", "%s", err);
	accounts_audit(st, by.user, published ? (p.first ? "analysis published" : "analysis edited") : "analysis draft", sym,
		       p.first ? "follow-ups queued" : machine ? "from a machine draft" : NULL);
	json_t *o = json_object();
	json_object_set_new(o, "analysis", store_analysis_get(st, sym, 0));
	json_object_set_new(o, "followups_queued", json_integer(p.first ? p.queued : 0));
	return respond_json(r, 200, o);
}

/*
 * POST /api/notifications/{symbol}/analysis/draft (analyst or admin): asks the configured OpenAI-compatible provider
 * for a draft of the analysis; the translator writes it, as a draft nobody sees until an analyst publishes it
 * reviewed. Refused while a person's text exists (a machine never overwrites one). GET: the request's state.
 */
static enum MHD_Result api_analysis_draft(struct req *r, const char *symbol)
{
	struct store *st = archive_store(r->w->a);
	struct session by;
	enum MHD_Result answered;
	char err[ERRBUF_SIZE], sym[128];
	json_t *show;
	if (!find_notification(r, symbol, sym, &show, &answered))
		return answered;
	json_decref(show);
	int get = !strcmp(r->method, "GET") || r->head;
	if (!get && strcmp(r->method, "POST"))
		return respond_error(r, 405, "method_not_allowed", "%s is not allowed here", r->method);
	if (!staff_ok(r, ROLE_ADMIN | ROLE_ANALYST, &by, &answered))
		return answered;
	if (get) {
		json_t *q = draft_request_get(st, sym);
		if (!q)
			return respond_error(r, 404, "not_found", "%s 未请求机器草稿 (no machine draft was asked for)", sym);
		return respond_json(r, 200, q);
	}
	if (r->w->o.read_only)
		return respond_error(r, 503, "read_only", "this server is a read-only mirror");
	if (!r->w->o.draft_model)
		return respond_error(r, 409, "no_provider",
				     "未配置 OpenAI 兼容的翻译服务，无法生成机器草稿 ([translate] provider = openai is needed for machine drafts)");
	json_t *current = store_analysis_get(st, sym, 0);
	int human = current && !json_object_get(current, "machine");
	json_decref(current);
	if (human)
		return respond_error(r, 409, "analysis_exists",
				     "%s 已有分析员撰写的解读，机器草稿不会覆盖它 (a person's analysis exists; a machine draft never replaces it)", sym);
	int rc = draft_request_add(st, sym, by.user, err, sizeof(err));
	if (rc)
		return respond_error(r, 500, "store_failed", "%s", err);
	accounts_audit(st, by.user, "machine draft asked", sym, r->w->o.draft_model);
	json_t *o = draft_request_get(st, sym);
	json_object_set_new(o, "model", json_string(r->w->o.draft_model));
	return respond_json(r, 202, o);
}

/* The advice's body: {text_zh (1 to 4,000 bytes), links}; the stored JSON, or NULL with why. */
static char *advice_doc(json_t *body, const char **why)
{
	int bad = 0;
	const char *t = an_text(body, "text_zh", 4000, &bad);
	*why = bad || !t || !*t ? "text_zh：建议正文，1 至 4000 字节 (text_zh: the advice, 1 to 4,000 bytes of UTF-8)"
		: !an_list(body, "links", 10, 2000, 1) ? "links is a list of at most 10 http or https addresses"
							: NULL;
	if (*why)
		return NULL;
	json_t *doc = json_pack("{s:s, s:O}", "text_zh", t, "links",
				json_object_get(body, "links") ? json_object_get(body, "links") : json_array());
	char *s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(doc);
	return s;
}

/*
 * /api/notifications/{symbol}/advice: GET the accepted entries (staff with ?all=1: every one). POST (an expert on
 * the notification's categories, an analyst or an admin) {text_zh, links}: an expert's entry waits for an analyst;
 * id > 0: /advice/{id}: PUT {text_zh?, links?, published?} (the author edits their text; an analyst or admin
 * accepts or withdraws), DELETE (the author, an analyst or an admin).
 */
static enum MHD_Result api_advice(struct req *r, const char *symbol, int64_t id)
{
	struct store *st = archive_store(r->w->a);
	struct session by;
	enum MHD_Result answered;
	char err[ERRBUF_SIZE], sym[128];
	json_t *show;
	const int writers = ROLE_ADMIN | ROLE_ANALYST | ROLE_EXPERT;
	if (!find_notification(r, symbol, sym, &show, &answered))
		return answered;
	int get = !strcmp(r->method, "GET") || r->head;
	if (get) {
		json_decref(show);
		int all = req_param(r, "all") != NULL;
		if (all && !staff_ok(r, writers, &by, &answered))
			return answered;
		/* What waits for acceptance is the staff's to read; an expert's own entries only, not another's. */
		const char *mine = all && by.role == ROLE_EXPERT ? by.user : NULL;
		json_t *list = id ? json_array() : advice_list(st, sym, !all), *e;
		if (id && (e = advice_get(st, sym, id)))
			json_array_append_new(list, e);
		for (size_t i = json_array_size(list); i-- > 0;) {
			e = json_array_get(list, i);
			int shown = json_is_true(json_object_get(e, "published")) ||
				    (all && (!mine || !strcmp(json_string_value(json_object_get(e, "author")), mine)));
			if (!shown)
				json_array_remove(list, i);
		}
		if (!id)
			return respond_json(r, 200, list);
		e = json_incref(json_array_get(list, 0));
		json_decref(list);
		if (!e)
			return respond_error(r, 404, "not_found", "没有这条建议 (no advice %lld on %s)", (long long)id, sym);
		return respond_json(r, 200, e);
	}
	int post = !strcmp(r->method, "POST");
	if ((id && strcmp(r->method, "PUT") && strcmp(r->method, "DELETE")) || (!id && !post)) {
		json_decref(show);
		return respond_error(r, 405, "method_not_allowed", "%s is not allowed here", r->method);
	}
	if (!staff_ok(r, writers, &by, &answered)) {
		json_decref(show);
		return answered;
	}
	int expert = by.role == ROLE_EXPERT, may = !expert || expert_may(&by, show);
	json_decref(show);
	if (!may)
		return respond_error(r, 403, "forbidden", "专家只能就其领域（%s）的通报提出建议 (an expert advises on their categories only)",
				     by.categories[0] ? by.categories : "无");
	if (r->w->o.read_only)
		return respond_error(r, 503, "read_only", "this server is a read-only mirror");
	json_t *before = id ? advice_get(st, sym, id) : NULL;
	if (id && !before)
		return respond_error(r, 404, "not_found", "没有这条建议 (no advice %lld on %s)", (long long)id, sym);
	if (before && expert && strcmp(json_string_value(json_object_get(before, "author")), by.user)) {
		json_decref(before);
		return respond_error(r, 403, "forbidden", "只能修改自己的建议 (an expert changes their own advice only)");
	}
	json_decref(before);
	int rc;
	const char *action;
	if (!strcmp(r->method, "DELETE")) {
		rc = advice_remove(st, sym, id, err, sizeof(err));
		action = "advice removed";
	} else {
		json_t *body = body_object(r, &answered);
		if (!body)
			return answered;
		json_t *pub = json_object_get(body, "published");
		const char *why = NULL;
		unsigned status = 400;
		char *doc = NULL;
		if (post || json_object_get(body, "text_zh") || json_object_get(body, "links"))
			doc = advice_doc(body, &why);
		if (!why && pub && !json_is_boolean(pub))
			why = "published is true or false";
		if (!why && pub && expert) {
			why = "专家的建议由分析员审核后发布 (an analyst accepts an expert's advice: published is theirs to set)";
			status = 403;
		}
		if (!why && !post && !doc && !pub)
			why = "nothing to change: text_zh, links or published";
		json_decref(body);
		if (why) {
			free(doc);
			return respond_error(r, status, status == 403 ? "forbidden" : "bad_parameter", "%s", why);
		}
		if (post) {
			rc = advice_add(st, sym, by.user, by.display[0] ? by.display : by.user, doc, !expert, &id, err, sizeof(err));
			action = "advice added";
		} else {
			rc = advice_set(st, sym, id, doc, pub ? json_is_true(pub) : -1, by.user, err, sizeof(err));
			action = pub ? (json_is_true(pub) ? "advice accepted" : "advice withdrawn") : "advice edited";
		}
		free(doc);
	}
	if (rc == -ENOENT)
		return respond_error(r, 404, "not_found", "没有这条建议 (no advice %lld on %s)", (long long)id, sym);
	if (rc)
		return respond_error(r, 500, "store_failed", "%s", err);
	char target[160];
	snprintf(target, sizeof(target), "%s#%lld", sym, (long long)id);
	accounts_audit(st, by.user, action, target, NULL);
	if (!strcmp(r->method, "DELETE"))
		return respond_json(r, 200, json_pack("{s:I, s:b}", "id", (json_int_t)id, "removed", 1));
	return respond_json(r, post ? 201 : 200, advice_get(st, sym, id));
}

/* Whether p ends with tail; then the symbol before it, in *sym (the caller's). */
static int tail_of(const char *p, const char *tail, char **sym)
{
	size_t n = strlen(p), tl = strlen(tail);
	if (n <= tl || strcmp(p + n - tl, tail))
		return 0;
	*sym = xstrndup(p, n - tl);
	return 1;
}

int analysis_handle(struct req *r, const char *rest)
{
	char *sym = NULL;
	enum MHD_Result x;
	if (tail_of(rest, "/analysis/history", &sym))
		x = api_analysis(r, sym, 1);
	else if (tail_of(rest, "/analysis/draft", &sym))
		x = api_analysis_draft(r, sym);
	else if (tail_of(rest, "/analysis", &sym))
		x = api_analysis(r, sym, 0);
	else if (tail_of(rest, "/advice", &sym))
		x = api_advice(r, sym, 0);
	else {
		/* .../advice/{id}: digits after the last "/advice/". */
		const char *a = NULL;
		for (const char *p = rest; (p = strstr(p, "/advice/")); p++)
			a = p;
		if (!a || a == rest || !a[8] || strspn(a + 8, "0123456789") != strlen(a + 8) || strlen(a + 8) > 15)
			return -1;
		sym = xstrndup(rest, (size_t)(a - rest));
		x = api_advice(r, sym, strtoll(a + 8, NULL, 10));
	}
	free(sym);
	return x;
}
