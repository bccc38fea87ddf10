/* crawl.c: sources, their rounds and their state. A round fetches what a source needs (pages of the ePing API, a
 * list page and its new detail pages, a feed, documents), imports every body through the archive, and ends by
 * saving the source's state: cursor, validators, success or error, and when to run next. */
#include "crawl.h"

#include "buf.h"
#include "extract.h"
#include "hash.h"
#include "norm.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum source_kind { SK_EPING, SK_DOCUMENTS, SK_HTML, SK_FEED, SK_DIR };
static const char *const kind_names[] = {"eping", "documents", "html", "feed", "dir"};

struct source {
	struct crawler *c;
	char *name;
	enum source_kind kind;
	int enabled;
	char *disabled_why;
	double interval, stale_after;
	char *url;        /* ePing template, HTML list page, feed */
	struct strv urls; /* documents */
	char *dir;
	enum parse_format format;
	char *key_line; /* "Header: key", never logged */
	char *accept_line;
	struct strv domains; /* ePing domainIds, "tbt:1" */
	int page_size;
	double overlap;
	char *start;
	char *link_xpath, *detail_xpath, *encoding;
	int follow;
	struct source_state st;
	/* The round in progress. */
	int active;
	int outstanding;
	struct import_stats stats;
	char *error;
	double retry_after;
	int fetches, not_modified;
	char window_to[11];
};

struct crawler {
	int exit_when_idle; /* break the loop when the last round ends (one-off crawls) */
	struct ev_loop *loop;
	struct archive *archive;
	struct fetcher *fetcher;
	struct source *sources;
	size_t n;
	FILE *report;
	ev_timer tick;
	int running;
	double retry_base, retry_max;
	int unhealthy_after;
	char *config_dir;
	/* Draft texts (the document_urls of notifications): one fetch at a time, when no source round runs, through a
	 * fetcher of their own with its own size cap, every address guarded (the links come from sources). */
	struct {
		int on;              /* [crawler] drafts = yes */
		int drain;           /* crawl --drafts: fetch every due one, one after another, then stop */
		double interval;     /* between two fetches */
		struct fetcher *fetcher;
		struct netguard guard;
		ev_timer tick;
		char *url;  /* the draft in flight (its queued URL) */
		char *hop;  /* where its redirects led */
		int hops;
		unsigned fetched, failed;
	} d;
};

enum job_kind { J_EPING_PAGE, J_DOCUMENT, J_HTML_LIST, J_FEED };

struct job {
	struct source *s;
	enum job_kind kind;
	int page;
	char *domain;
	enum parse_format format;
	int main_url; /* validators of the source's own URL go to its state */
};

static void set_str(char **dst, const char *v)
{
	char *copy = v ? xstrdup(v) : NULL;
	free(*dst);
	*dst = copy;
}

/* ---- configuration ---- */

static int bad(char *err, size_t errlen, const struct ini *cfg, const struct ini_section *s, const char *key,
	       const char *why)
{
	errf(err, errlen, "%s:%d: [%s] %s: %s", cfg->path, ini_line(s, key), s->name, key, why);
	return -EINVAL;
}

static int get_duration(const struct ini *cfg, const struct ini_section *s, const char *key, double def, double *out,
			char *err, size_t errlen)
{
	const char *v = ini_get(s, key);
	*out = def;
	if (v && ini_duration(v, out))
		return bad(err, errlen, cfg, s, key, "expected a duration such as 30s, 15m, 6h or 2d");
	return 0;
}

static char *resolve_path(const struct crawler *c, const char *p)
{
	struct buf b;
	if (p[0] == '/' || !c->config_dir)
		return xstrdup(p);
	buf_init(&b, BUF_NOMAX);
	buf_addf(&b, "%s/%s", c->config_dir, p);
	return buf_detach(&b);
}

static int load_source(struct crawler *c, struct source *src, const struct ini *cfg, const struct ini_section *s,
		       char *err, size_t errlen)
{
	const char *v;
	src->c = c;
	src->name = xstrdup(s->name + strlen("source "));
	strv_init(&src->urls);
	strv_init(&src->domains);
	if (!*src->name)
		return bad(err, errlen, cfg, s, "name", "a source needs a name: [source NAME]");
	v = ini_get(s, "kind");
	if (!v)
		return bad(err, errlen, cfg, s, "kind", "missing (eping, documents, html, feed or dir)");
	int k = -1;
	for (int i = 0; i < 5; i++)
		if (!strcmp(v, kind_names[i]))
			k = i;
	if (k < 0)
		return bad(err, errlen, cfg, s, "kind", "expected eping, documents, html, feed or dir");
	src->kind = (enum source_kind)k;
	src->enabled = 1;
	if ((v = ini_get(s, "enabled")) && ini_bool(v, &src->enabled))
		return bad(err, errlen, cfg, s, "enabled", "expected yes or no");
	if (get_duration(cfg, s, "interval", src->kind == SK_EPING ? 3600 : 6 * 3600, &src->interval, err, errlen) ||
	    get_duration(cfg, s, "stale_after", 3 * 86400, &src->stale_after, err, errlen) ||
	    get_duration(cfg, s, "overlap", 7 * 86400, &src->overlap, err, errlen))
		return -EINVAL;
	if ((v = ini_get(s, "url")))
		src->url = xstrdup(v);
	if ((v = ini_get(s, "urls"))) {
		for (const char *p = v; *p;) {
			size_t n = strcspn(p, " \t,");
			if (n)
				strv_push_owned(&src->urls, xstrndup(p, n));
			p += n;
			while (*p == ' ' || *p == '\t' || *p == ',')
				p++;
		}
	}
	if ((v = ini_get(s, "dir")))
		src->dir = resolve_path(c, v);
	src->format = FMT_AUTO;
	if ((v = ini_get(s, "format"))) {
		int f = parse_format_from_name(v);
		if (f < 0)
			return bad(err, errlen, cfg, s, "format", "expected auto, eping, wto-text, html or feed");
		src->format = (enum parse_format)f;
	}
	const char *key = ini_get(s, "key"), *key_env = ini_get(s, "key_env"), *key_header = ini_get(s, "key_header");
	if (key_env && (!key || !*key))
		key = getenv(key_env);
	if (key_header) {
		if (key && *key) {
			struct buf b;
			buf_init(&b, 4096);
			buf_addf(&b, "%s: %s", key_header, key);
			src->key_line = buf_detach(&b);
		} else if (src->enabled) {
			/* Shipped disabled until a key is given; says how to give one. */
			struct buf b;
			buf_init(&b, BUF_NOMAX);
			buf_addf(&b, "no API key (set key, or the environment variable %s)", key_env ? key_env : "named by key_env");
			src->disabled_why = buf_detach(&b);
			src->enabled = 0;
		}
	}
	if ((v = ini_get(s, "accept"))) {
		struct buf b;
		buf_init(&b, 1024);
		buf_addf(&b, "Accept: %s", v);
		src->accept_line = buf_detach(&b);
	}
	if ((v = ini_get(s, "domains"))) {
		for (const char *p = v; *p;) {
			size_t n = strcspn(p, " \t,");
			if (n) {
				char *d = xstrndup(p, n);
				if (!strchr(d, ':')) {
					free(d);
					return bad(err, errlen, cfg, s, "domains", "expected name:id pairs such as 'tbt:1 sps:2'");
				}
				strv_push_owned(&src->domains, d);
			}
			p += n;
			while (*p == ' ' || *p == '\t' || *p == ',')
				p++;
		}
	}
	src->page_size = 100;
	if ((v = ini_get(s, "page_size"))) {
		long ps;
		if (parse_long(v, 1, 1000, &ps))
			return bad(err, errlen, cfg, s, "page_size", "expected a number from 1 to 1000");
		src->page_size = (int)ps;
	}
	if ((v = ini_get(s, "start"))) {
		char iso[11];
		if (date_parse(v, iso))
			return bad(err, errlen, cfg, s, "start", "expected a date (YYYY-MM-DD)");
		src->start = xstrdup(iso);
	}
	if ((v = ini_get(s, "link_xpath")))
		src->link_xpath = xstrdup(v);
	if ((v = ini_get(s, "detail_xpath")))
		src->detail_xpath = xstrdup(v);
	if ((v = ini_get(s, "encoding")))
		src->encoding = xstrdup(v);
	if ((v = ini_get(s, "follow")) && ini_bool(v, &src->follow))
		return bad(err, errlen, cfg, s, "follow", "expected yes or no");
	/* What each kind needs. */
	switch (src->kind) {
	case SK_EPING:
	case SK_FEED:
		if (!src->url)
			return bad(err, errlen, cfg, s, "url", "missing");
		break;
	case SK_HTML:
		if (!src->url)
			return bad(err, errlen, cfg, s, "url", "missing (the list page)");
		if (!src->link_xpath)
			return bad(err, errlen, cfg, s, "link_xpath", "missing (which links lead to detail pages)");
		break;
	case SK_DOCUMENTS:
		if (!src->urls.n && !src->url)
			return bad(err, errlen, cfg, s, "urls", "missing");
		if (src->url)
			strv_push(&src->urls, src->url);
		break;
	case SK_DIR:
		if (!src->dir)
			return bad(err, errlen, cfg, s, "dir", "missing");
		break;
	}
	return 0;
}

int crawler_fetch_opts(const struct ini *cfg, struct fetch_opts *fo, char *err, size_t errlen)
{
	const struct ini_section *cs = NULL;
	const char *v;
	long l;
	fetch_opts_default(fo);
	for (size_t i = 0; i < cfg->n; i++)
		if (!strcmp(cfg->sections[i].name, "crawler"))
			cs = &cfg->sections[i];
	if (!cs)
		return 0;
	if (get_duration(cfg, cs, "connect_timeout", fo->connect_timeout, &fo->connect_timeout, err, errlen) ||
	    get_duration(cfg, cs, "timeout", fo->timeout, &fo->timeout, err, errlen) ||
	    get_duration(cfg, cs, "polite_delay", fo->polite_delay, &fo->polite_delay, err, errlen))
		return -EINVAL;
	if ((v = ini_get(cs, "max_body")) && ini_size(v, &fo->max_body))
		return bad(err, errlen, cfg, cs, "max_body", "expected a size such as 16M");
	if ((v = ini_get(cs, "max_host_connections"))) {
		if (parse_long(v, 1, 64, &l))
			return bad(err, errlen, cfg, cs, "max_host_connections", "expected a number from 1 to 64");
		fo->max_host_connections = l;
	}
	fo->ca_file = ini_get(cs, "ca_file");
	fo->proxy = ini_get(cs, "proxy");
	if ((v = ini_get(cs, "redirect_allow"))) {
		struct netguard g;
		char sub[ERRBUF_SIZE];
		netguard_init(&g);
		int r = netguard_add(&g, v, sub, sizeof(sub));
		netguard_release(&g);
		if (r)
			return bad(err, errlen, cfg, cs, "redirect_allow", sub);
		fo->redirect_allow = v;
	}
	if ((v = ini_get(cs, "user_agent")))
		fo->user_agent = v;
	return 0;
}

struct crawler *crawler_new(struct ev_loop *loop, struct archive *archive, const struct ini *cfg, char *err,
			    size_t errlen)
{
	struct crawler *c = xcalloc(1, sizeof(*c));
	struct fetch_opts fo;
	const struct ini_section *cs = NULL;
	const char *v;
	c->loop = loop;
	c->archive = archive;
	/* Jitter must differ between processes, or many restarted crawlers retry in step. */
	srand((unsigned)(now_epoch() * 1000) ^ (unsigned)getpid());
	c->retry_base = 60;
	c->retry_max = 6 * 3600;
	c->unhealthy_after = 3;
	c->d.interval = 30;
	netguard_init(&c->d.guard);
	const char *slash = strrchr(cfg->path, '/');
	c->config_dir = slash ? xstrndup(cfg->path, (size_t)(slash - cfg->path)) : xstrdup(".");
	if (crawler_fetch_opts(cfg, &fo, err, errlen))
		goto fail;
	for (size_t i = 0; i < cfg->n; i++)
		if (!strcmp(cfg->sections[i].name, "crawler"))
			cs = &cfg->sections[i];
	if (cs) {
		if (get_duration(cfg, cs, "retry_base", c->retry_base, &c->retry_base, err, errlen) ||
		    get_duration(cfg, cs, "retry_max", c->retry_max, &c->retry_max, err, errlen))
			goto fail;
		if (get_duration(cfg, cs, "draft_interval", 30, &c->d.interval, err, errlen))
			goto fail;
		if ((v = ini_get(cs, "drafts"))) {
			if (ini_bool(v, &c->d.on)) {
				bad(err, errlen, cfg, cs, "drafts", "expected yes or no");
				goto fail;
			}
		}
		if ((v = ini_get(cs, "draft_allow"))) {
			char sub[ERRBUF_SIZE];
			if (netguard_add(&c->d.guard, v, sub, sizeof(sub))) {
				bad(err, errlen, cfg, cs, "draft_allow", sub);
				goto fail;
			}
		}
		long l;
		if ((v = ini_get(cs, "unhealthy_after"))) {
			if (parse_long(v, 1, 1000, &l)) {
				bad(err, errlen, cfg, cs, "unhealthy_after", "expected a number of failures");
				goto fail;
			}
			c->unhealthy_after = (int)l;
		}
	}
	for (size_t i = 0; i < cfg->n; i++) {
		const struct ini_section *s = &cfg->sections[i];
		if (!starts_with(s->name, "source "))
			continue;
		c->sources = xrealloc(c->sources, (c->n + 1) * sizeof(*c->sources));
		struct source *src = &c->sources[c->n++];
		memset(src, 0, sizeof(*src));
		if (load_source(c, src, cfg, s, err, errlen))
			goto fail;
		if (store_source_load(archive_store(archive), src->name, &src->st, err, errlen))
			goto fail;
	}
	c->fetcher = fetcher_new(loop, &fo);
	/* Drafts: [crawler] draft_max_bytes (default 32 MiB), one connection per host. */
	fo.max_body = 32u << 20;
	fo.max_host_connections = 1;
	if (cs && (v = ini_get(cs, "draft_max_bytes")) && ini_size(v, &fo.max_body)) {
		bad(err, errlen, cfg, cs, "draft_max_bytes", "expected a size such as 32M");
		goto fail;
	}
	c->d.fetcher = fetcher_new(loop, &fo);
	ev_timer_init(&c->tick, NULL, 0., 0.);
	ev_timer_init(&c->d.tick, NULL, 0., 0.);
	return c;
fail:
	crawler_free(c);
	return NULL;
}

void crawler_free(struct crawler *c)
{
	if (!c)
		return;
	crawler_stop(c);
	fetcher_free(c->fetcher);
	fetcher_free(c->d.fetcher);
	netguard_release(&c->d.guard);
	free(c->d.url);
	free(c->d.hop);
	for (size_t i = 0; i < c->n; i++) {
		struct source *s = &c->sources[i];
		free(s->name);
		free(s->disabled_why);
		free(s->url);
		strv_release(&s->urls);
		strv_release(&s->domains);
		free(s->dir);
		free(s->key_line);
		free(s->accept_line);
		free(s->start);
		free(s->link_xpath);
		free(s->detail_xpath);
		free(s->encoding);
		free(s->error);
		source_state_release(&s->st);
	}
	free(c->sources);
	free(c->config_dir);
	free(c);
}

void crawler_set_report(struct crawler *c, FILE *out)
{
	c->report = out;
}

/* ---- rounds ---- */

static void fetch_job(struct source *s, struct job *j, const char *url, const char *etag, const char *lm);

static void round_error(struct source *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void round_error(struct source *s, const char *fmt, ...)
{
	char msg[ERRBUF_SIZE];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* The first error of a round is the one reported; later ones are usually its consequences. */
	if (!s->error)
		s->error = xstrdup(msg);
}

static void report_reject(void *arg, const char *name, const char *where, const char *msg)
{
	struct source *s = arg;
	if (s->c->report)
		fprintf(s->c->report, "%s: %s: %s: rejected: %s\n", s->name, name, where, msg);
}

/* Imports a body; returns 0 or a negative code (the archive failed: the round fails). */
static int import_body(struct source *s, const char *url, enum parse_format fmt, const struct buf *body)
{
	char err[ERRBUF_SIZE];
	int rc;
	rc = archive_import_ex(s->c->archive, s->name, url, url, fmt, body->s, body->len, s->detail_xpath, s->encoding,
			       &s->stats, report_reject, s, err, sizeof(err));
	if (rc)
		round_error(s, "import from '%s' failed: %s", url, err);
	return rc;
}

static void eping_next(struct source *s, const struct job *j, const struct buf *body)
{
	json_error_t jerr;
	json_t *root = json_loadb(body->s, body->len, 0, &jerr);
	long long cur = json_integer_value(json_object_get(root, "currentPage"));
	long long size = json_integer_value(json_object_get(root, "pageSize"));
	long long total = json_integer_value(json_object_get(root, "totalCount"));
	size_t items = json_array_size(json_object_get(root, "items"));
	json_decref(root);
	if (!strstr(s->url, "{page}") || !items || cur <= 0 || size <= 0 || cur * size >= total || cur >= 1000)
		return;
	struct job *nj = xcalloc(1, sizeof(*nj));
	nj->s = s;
	nj->kind = J_EPING_PAGE;
	nj->page = (int)cur + 1;
	nj->domain = j->domain ? xstrdup(j->domain) : NULL;
	nj->format = FMT_EPING;
	fetch_job(s, nj, NULL, NULL, NULL);
}

/* Fills the ePing URL template: {from} {to} {page} {pagesize} {domain}. */
static char *eping_url(const struct source *s, const struct job *j)
{
	struct buf b;
	char from[11], to[11];
	today_iso(to);
	if (s->st.cursor && strlen(s->st.cursor) == 10)
		date_add_days(s->st.cursor, -(int)(s->overlap / 86400), from);
	else if (s->start)
		snprintf(from, sizeof(from), "%s", s->start);
	else
		date_add_days(to, -30, from);
	buf_init(&b, BUF_NOMAX);
	for (const char *p = s->url; *p;) {
		if (starts_with(p, "{from}")) {
			buf_addstr(&b, from);
			p += 6;
		} else if (starts_with(p, "{to}")) {
			buf_addstr(&b, to);
			p += 4;
		} else if (starts_with(p, "{page}")) {
			buf_addf(&b, "%d", j->page);
			p += 6;
		} else if (starts_with(p, "{pagesize}")) {
			buf_addf(&b, "%d", s->page_size);
			p += 10;
		} else if (starts_with(p, "{domain}")) {
			const char *colon = j->domain ? strchr(j->domain, ':') : NULL;
			buf_addstr(&b, colon ? colon + 1 : "");
			p += 8;
		} else {
			buf_addch(&b, *p++);
		}
	}
	return buf_detach(&b);
}

static void finish_round(struct source *s);

static void job_free(struct job *j)
{
	free(j->domain);
	free(j);
}

/* Queues the links that were never fetched (detail pages rarely change; list pages and feeds are polled). */
static void fetch_new_links(struct source *s, const struct strv *links, enum parse_format fmt)
{
	for (size_t i = 0; i < links->n; i++) {
		char *etag = NULL, *lm = NULL, sha[65];
		if (store_url_get(archive_store(s->c->archive), links->items[i], &etag, &lm, sha)) {
			free(etag);
			free(lm);
			continue;
		}
		struct job *nj = xcalloc(1, sizeof(*nj));
		nj->s = s;
		nj->kind = J_DOCUMENT;
		nj->format = fmt;
		fetch_job(s, nj, links->items[i], NULL, NULL);
	}
}

static void on_fetched(void *arg, struct fetch_result *r)
{
	struct job *j = arg;
	struct source *s = j->s;
	char sha[65];
	s->fetches++;
	s->st.fetches++;
	if (r->failed) {
		round_error(s, "fetch '%s' failed: %s", r->url, r->error);
		if (r->retry_after > s->retry_after)
			s->retry_after = r->retry_after;
		goto done;
	}
	if (r->not_modified) {
		s->not_modified++;
		goto done;
	}
	sha256_hex(r->body.s, r->body.len, sha);
	if (j->main_url) {
		set_str(&s->st.etag, r->etag);
		set_str(&s->st.last_modified, r->last_modified);
	}
	/* A document whose bytes have not changed since last time is not parsed again. */
	char *etag = NULL, *lm = NULL, old_sha[65];
	int known = store_url_get(archive_store(s->c->archive), r->url, &etag, &lm, old_sha);
	free(etag);
	free(lm);
	int same = known && !strcmp(old_sha, sha);
	switch (j->kind) {
	case J_EPING_PAGE:
		if (!import_body(s, r->url, FMT_EPING, &r->body))
			eping_next(s, j, &r->body);
		break;
	case J_DOCUMENT:
		if (!same)
			import_body(s, r->url, j->format, &r->body);
		break;
	case J_FEED:
		if (!same && !import_body(s, r->url, FMT_FEED, &r->body) && s->follow) {
			struct strv links;
			char err[ERRBUF_SIZE];
			strv_init(&links);
			if (feed_links(r->body.s, r->body.len, &links, err, sizeof(err)) < 0)
				round_error(s, "feed '%s': %s", r->url, err);
			fetch_new_links(s, &links, s->format);
			strv_release(&links);
		}
		break;
	case J_HTML_LIST: {
		struct strv links;
		char err[ERRBUF_SIZE];
		strv_init(&links);
		if (html_links(r->body.s, r->body.len, r->effective_url, s->encoding, s->link_xpath, &links, err,
			       sizeof(err)) < 0) {
			round_error(s, "list page '%s': %s", r->url, err);
		} else if (!links.n) {
			round_error(s, "list page '%s': link_xpath '%s' found no links", r->url, s->link_xpath);
		}
		fetch_new_links(s, &links, FMT_HTML);
		strv_release(&links);
		break;
	}
	}
	/* Remember validators and content, unless the import failed (then the next round tries it again). */
	if (!s->error || j->kind == J_HTML_LIST) {
		char err[ERRBUF_SIZE];
		if (store_url_put(archive_store(s->c->archive), r->url, s->name, r->etag, r->last_modified, sha, err,
				  sizeof(err)))
			round_error(s, "%s", err);
	}
done:
	job_free(j);
	if (--s->outstanding == 0)
		finish_round(s);
}

static void fetch_job(struct source *s, struct job *j, const char *url, const char *etag, const char *lm)
{
	const char *headers[3] = {NULL, NULL, NULL};
	int nh = 0;
	char *built = NULL;
	if (j->kind == J_EPING_PAGE)
		url = built = eping_url(s, j);
	if (s->key_line)
		headers[nh++] = s->key_line;
	if (s->accept_line)
		headers[nh++] = s->accept_line;
	struct fetch_req req = {url, etag, lm, headers, NULL};
	s->outstanding++;
	if (fetch_start(s->c->fetcher, &req, on_fetched, j)) {
		round_error(s, "'%s' is not an http, https or file URL", url);
		job_free(j);
		s->outstanding--;
	}
	free(built);
}

static void finish_round(struct source *s)
{
	struct crawler *c = s->c;
	char now[21], err[ERRBUF_SIZE];
	double t = now_epoch();
	now_iso(now);
	set_str(&s->st.last_attempt, now);
	unsigned changed = s->stats.added + s->stats.updated;
	if (s->error) {
		s->st.failures++;
		set_str(&s->st.last_error, s->error);
		/* Exponential backoff with jitter, and never sooner than the server asked. */
		double delay = fmin(c->retry_max, c->retry_base * pow(2.0, s->st.failures - 1));
		delay *= 0.5 + (double)rand() / RAND_MAX;
		s->st.next_run = t + fmax(delay, s->retry_after);
	} else {
		s->st.failures = 0;
		set_str(&s->st.last_error, NULL);
		set_str(&s->st.last_success, now);
		if (s->kind == SK_EPING && s->window_to[0])
			set_str(&s->st.cursor, s->window_to);
		s->st.next_run = t + s->interval;
	}
	if (changed)
		set_str(&s->st.last_new, now);
	s->st.records += changed;
	/* What the round indexed becomes visible to the readers (the web's search threads) now. */
	if ((changed || archive_index_lag(c->archive, NULL)) && archive_commit(c->archive, err, sizeof(err)) && c->report)
		fprintf(c->report, "%s: %s\n", s->name, err);
	if (store_source_save(archive_store(c->archive), s->name, &s->st, err, sizeof(err)) && c->report)
		fprintf(c->report, "%s: %s\n", s->name, err);
	if (c->report) {
		if (s->error)
			fprintf(c->report, "%s: error: %s (failure %d; retry in %.0f s)\n", s->name, s->error, s->st.failures,
				s->st.next_run - t);
		else
			fprintf(c->report, "%s: ok, %d fetched (%d not modified): added %u, updated %u, unchanged %u, "
					   "rejected %u\n",
				s->name, s->fetches, s->not_modified, s->stats.added, s->stats.updated, s->stats.unchanged,
				s->stats.rejected);
		fflush(c->report);
	}
	s->active = 0;
	c->running--;
	/* A one-off crawl (crawl --once, doctor) ends its loop when the last round ends; a service's loop goes on. */
	if (c->exit_when_idle && !c->running && !ev_is_active(&c->tick) && !c->d.url)
		ev_break(c->loop, EVBREAK_ONE);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void start_round(struct source *s)
{
	struct crawler *c = s->c;
	s->active = 1;
	s->outstanding = 1; /* held until every job is queued, so that no early completion ends the round */
	memset(&s->stats, 0, sizeof(s->stats));
	free(s->error);
	s->error = NULL;
	s->retry_after = 0;
	s->fetches = s->not_modified = 0;
	s->window_to[0] = '\0';
	c->running++;
	switch (s->kind) {
	case SK_EPING: {
		today_iso(s->window_to);
		size_t nd = s->domains.n && strstr(s->url, "{domain}") ? s->domains.n : 1;
		for (size_t i = 0; i < nd; i++) {
			struct job *j = xcalloc(1, sizeof(*j));
			j->s = s;
			j->kind = J_EPING_PAGE;
			j->page = 1;
			j->format = FMT_EPING;
			j->domain = s->domains.n ? xstrdup(s->domains.items[i]) : NULL;
			fetch_job(s, j, NULL, NULL, NULL);
		}
		break;
	}
	case SK_DOCUMENTS:
		for (size_t i = 0; i < s->urls.n; i++) {
			struct job *j = xcalloc(1, sizeof(*j));
			char *etag = NULL, *lm = NULL, sha[65];
			j->s = s;
			j->kind = J_DOCUMENT;
			j->format = s->format;
			store_url_get(archive_store(c->archive), s->urls.items[i], &etag, &lm, sha);
			fetch_job(s, j, s->urls.items[i], etag, lm);
			free(etag);
			free(lm);
		}
		break;
	case SK_DIR: {
		DIR *d = opendir(s->dir);
		struct strv files;
		strv_init(&files);
		if (!d) {
			round_error(s, "directory '%s': %s", s->dir, strerror(errno));
		} else {
			struct dirent *e;
			while ((e = readdir(d))) {
				if (e->d_name[0] == '.')
					continue;
				struct buf p;
				buf_init(&p, BUF_NOMAX);
				buf_addf(&p, "%s/%s", s->dir, e->d_name);
				struct stat sb;
				char *abs = realpath(p.s, NULL);
				if (abs && !stat(abs, &sb) && S_ISREG(sb.st_mode)) {
					struct buf u;
					buf_init(&u, BUF_NOMAX);
					buf_addf(&u, "file://%s", abs);
					strv_push_owned(&files, buf_detach(&u));
				}
				free(abs);
				buf_release(&p);
			}
			closedir(d);
		}
		if (files.n > 1)
			qsort(files.items, files.n, sizeof(char *), cmp_str);
		/* Through the same fetcher as the network: the demo and the tests take the real path. */
		for (size_t i = 0; i < files.n; i++) {
			struct job *j = xcalloc(1, sizeof(*j));
			j->s = s;
			j->kind = J_DOCUMENT;
			j->format = s->format;
			fetch_job(s, j, files.items[i], NULL, NULL);
		}
		strv_release(&files);
		break;
	}
	case SK_FEED:
	case SK_HTML: {
		struct job *j = xcalloc(1, sizeof(*j));
		j->s = s;
		j->kind = s->kind == SK_FEED ? J_FEED : J_HTML_LIST;
		j->main_url = 1;
		fetch_job(s, j, s->url, s->st.etag, s->st.last_modified);
		break;
	}
	}
	if (--s->outstanding == 0)
		finish_round(s);
}

int crawler_run_now(struct crawler *c, const char *name)
{
	int started = 0, found = 0;
	for (size_t i = 0; i < c->n; i++) {
		struct source *s = &c->sources[i];
		if (name && strcmp(s->name, name))
			continue;
		found = 1;
		if (!name && !s->enabled)
			continue;
		if (!s->enabled) {
			if (c->report)
				fprintf(c->report, "%s: disabled: %s\n", s->name, s->disabled_why ? s->disabled_why : "enabled = no");
			continue;
		}
		if (s->active)
			continue;
		start_round(s);
		started++;
	}
	return name && !found ? -ENOENT : started;
}

int crawler_run_due(struct crawler *c)
{
	double t = now_epoch();
	int started = 0;
	for (size_t i = 0; i < c->n; i++) {
		struct source *s = &c->sources[i];
		if (s->enabled && !s->active && s->st.next_run <= t) {
			start_round(s);
			started++;
		}
	}
	return started;
}

/* ---- draft texts ---- */

static void draft_next(struct crawler *c);

static void draft_report(struct crawler *c, const char *url, const char *what)
{
	if (c->report) {
		fprintf(c->report, "draft text '%s': %s\n", url, what);
		fflush(c->report);
	}
}

static void draft_end(struct crawler *c)
{
	free(c->d.url);
	free(c->d.hop);
	c->d.url = c->d.hop = NULL;
	c->d.hops = 0;
	if (c->d.drain)
		draft_next(c);
}

static void draft_fetch(struct crawler *c, const char *url);

static void on_draft(void *arg, struct fetch_result *r)
{
	struct crawler *c = arg;
	char err[ERRBUF_SIZE], msg[ERRBUF_SIZE + 64];
	int rc;
	if (r->status >= 300 && r->status < 400 && r->redirect_url && c->d.hops < 5 && url_is_web(r->redirect_url)) {
		/* Followed by hand, each hop through the guard again. */
		c->d.hops++;
		free(c->d.hop);
		c->d.hop = xstrdup(r->redirect_url);
		draft_fetch(c, c->d.hop);
		return;
	}
	if (r->failed || r->not_modified || r->status >= 300) {
		const char *why = r->status >= 300 && r->status < 400 && r->status != 304
					  ? (c->d.hops >= 5 ? "more than 5 redirects" : "a redirect to a URL that is not http or https")
				  : r->failed ? r->error
					      : "not modified";
		/* A refused address or a body over the cap will not change by asking again; the rest may. */
		int final = r->refused || r->too_large || (r->status >= 300 && r->status < 500 &&
										 r->status != 408 && r->status != 429);
		rc = archive_draft_failed(c->archive, c->d.url, why, final, err, sizeof(err));
		c->d.failed++;
		snprintf(msg, sizeof(msg), "%s (%s)", why, final ? "given up" : "will try again");
		draft_report(c, c->d.url, rc ? err : msg);
	} else {
		rc = archive_draft_fetched(c->archive, c->d.url, r->content_type, r->body.s, r->body.len, err,
					   sizeof(err));
		c->d.fetched++;
		if (rc) {
			draft_report(c, c->d.url, err);
		} else {
			json_t *d = archive_draft_json(c->archive, c->d.url);
			const char *st = json_string_value(json_object_get(d, "state"));
			const char *why = json_string_value(json_object_get(d, "error"));
			snprintf(msg, sizeof(msg), "%s, %zu bytes%s%s", st ? st : "?", r->body.len, why ? ": " : "",
				 why ? why : "");
			draft_report(c, c->d.url, msg);
			json_decref(d);
		}
	}
	draft_end(c);
}

static void draft_fetch(struct crawler *c, const char *url)
{
	struct fetch_req req = {url, NULL, NULL, NULL, NULL};
	req.guard = &c->d.guard;
	if (fetch_start(c->d.fetcher, &req, on_draft, c)) {
		char err[ERRBUF_SIZE];
		if (archive_draft_failed(c->archive, c->d.url, "not an http or https URL", 1, err, sizeof(err)))
			draft_report(c, c->d.url, err);
		draft_end(c);
	}
}

/* Starts the next due draft, unless one is in flight. Returns 1 when one started. */
static void draft_next(struct crawler *c)
{
	struct strv due;
	char err[ERRBUF_SIZE];
	if (c->d.url)
		return;
	strv_init(&due);
	if (archive_drafts_due(c->archive, 1, &due, err, sizeof(err)))
		draft_report(c, "*", err);
	if (!due.n) {
		strv_release(&due);
		c->d.drain = 0;
		if (c->exit_when_idle && !c->running && !ev_is_active(&c->tick))
			ev_break(c->loop, EVBREAK_ONE);
		return;
	}
	c->d.url = xstrdup(due.items[0]);
	strv_release(&due);
	draft_fetch(c, c->d.url);
}

static void on_draft_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct crawler *c = w->data;
	(void)loop;
	(void)revents;
	/* Low priority: never while a source's round is running. */
	if (!c->running)
		draft_next(c);
}

int crawler_drafts_now(struct crawler *c)
{
	c->d.drain = 1;
	draft_next(c);
	return c->d.url != NULL;
}

json_t *crawler_drafts_json(struct crawler *c)
{
	json_t *o = archive_draft_counts(c->archive);
	json_object_set_new(o, "enabled", json_boolean(c->d.on));
	return o;
}

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	crawler_run_due(w->data);
}

void crawler_start(struct crawler *c)
{
	ev_timer_init(&c->tick, on_tick, 0., 1.);
	c->tick.data = c;
	ev_timer_start(c->loop, &c->tick);
	if (c->d.on) {
		ev_timer_init(&c->d.tick, on_draft_tick, c->d.interval, c->d.interval);
		c->d.tick.data = c;
		ev_timer_start(c->loop, &c->d.tick);
	}
}

void crawler_exit_when_idle(struct crawler *c, int on)
{
	c->exit_when_idle = on;
}

void crawler_stop(struct crawler *c)
{
	ev_timer_stop(c->loop, &c->tick);
	ev_timer_stop(c->loop, &c->d.tick);
}

int crawler_busy(const struct crawler *c)
{
	return c->running;
}

int crawler_failed(const struct crawler *c)
{
	int n = 0;
	for (size_t i = 0; i < c->n; i++)
		n += c->sources[i].enabled && c->sources[i].st.failures > 0;
	return n;
}

static const char *health(const struct crawler *c, const struct source *s, double t)
{
	if (!s->enabled)
		return "disabled";
	if (s->st.failures >= c->unhealthy_after)
		return "unhealthy";
	if (s->st.failures > 0)
		return "failing";
	if (!s->st.last_attempt)
		return "new";
	/* Nothing new for longer than expected is an outage nobody notices: say so. */
	const char *since = s->st.last_new ? s->st.last_new : NULL;
	if (since) {
		struct tm tm = {0};
		if (strptime(since, "%Y-%m-%dT%H:%M:%SZ", &tm) && t - (double)timegm(&tm) > s->stale_after)
			return "stale";
	}
	return "ok";
}

json_t *crawler_sources_json(struct crawler *c)
{
	json_t *a = json_array();
	double t = now_epoch();
	for (size_t i = 0; i < c->n; i++) {
		const struct source *s = &c->sources[i];
		json_t *o = json_object();
		json_object_set_new(o, "name", json_string(s->name));
		json_object_set_new(o, "kind", json_string(kind_names[s->kind]));
		json_object_set_new(o, "enabled", json_boolean(s->enabled));
		json_object_set_new(o, "health", json_string(health(c, s, t)));
		if (s->disabled_why)
			json_object_set_new(o, "disabled_because", json_string(s->disabled_why));
		const struct {
			const char *k;
			const char *v;
		} f[] = {{"last_attempt", s->st.last_attempt}, {"last_success", s->st.last_success},
			 {"last_new", s->st.last_new},         {"last_error", s->st.last_error},
			 {"cursor", s->st.cursor}};
		for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++)
			json_object_set_new(o, f[k].k, f[k].v ? json_string(f[k].v) : json_null());
		json_object_set_new(o, "failures", json_integer(s->st.failures));
		json_object_set_new(o, "fetches", json_integer(s->st.fetches));
		json_object_set_new(o, "records", json_integer(s->st.records));
		if (s->st.next_run > 0) {
			char when[21];
			epoch_iso(s->st.next_run, when);
			json_object_set_new(o, "next_run", json_string(when));
		} else {
			json_object_set_new(o, "next_run", json_null());
		}
		json_array_append_new(a, o);
	}
	return a;
}
