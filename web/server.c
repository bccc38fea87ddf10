/* server.c: libmicrohttpd driven by the libev loop (its epoll descriptor watched by an ev_io, its timeouts by an
 * ev_timer; searches may run on pool.c's threads), request bodies, parameters, answers with security headers and gzip, the access log, and the
 * routing to the handlers. */
#include "http.h"

#include "ini.h"
#include "subs.h"
#include "text.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <zlib.h>

void web_opts_default(struct web_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->listen = "127.0.0.1:8080";
	o->timeout = 30;
	o->max_body = 64 * 1024;
	o->search_threads = 2;
	o->head_timeout = 10;
	o->body_timeout = 30;
	o->max_client_connections = 64;
	o->write_rate = (struct web_rate){20, 60};
	o->write_rate_global = (struct web_rate){300, 60};
}

int web_opts_load(struct web_opts *o, const struct ini *cfg, char *err, size_t errlen)
{
	static const char *const keys[] = {"listen",       "admin_token",  "admin_token_file",       "read_only",
					   "timeout",      "max_body",     "search_threads",         "head_timeout",
					   "body_timeout", "write_rate",   "write_rate_global",      "max_client_connections",
					   "trusted_proxies"};
	const struct ini_section *s = ini_section(cfg, "web");
	const char *v;
	if (ini_check_keys(cfg, s, keys, sizeof(keys) / sizeof(keys[0]), err, errlen))
		return -EINVAL;
	if (s) {
		if ((v = ini_get(s, "listen")))
			o->listen = v;
		if ((v = ini_get(s, "admin_token")))
			o->admin_token = v;
		if ((v = ini_get(s, "admin_token_file"))) {
			/* The first line of a file (mode 0600), so that the token need not sit in the configuration. */
			free(o->owned_token);
			if (!(o->owned_token = read_first_line(v))) {
				errf(err, errlen, "%s:%d: admin_token_file '%s' cannot be read", cfg->path, ini_line(s, "admin_token_file"), v);
				return -EINVAL;
			}
			o->admin_token = o->owned_token;
		}
		if ((v = ini_get(s, "read_only")) && ini_bool(v, &o->read_only)) {
			errf(err, errlen, "%s:%d: read_only wants yes or no, got '%s'", cfg->path, ini_line(s, "read_only"), v);
			return -EINVAL;
		}
		double t;
		if ((v = ini_get(s, "timeout"))) {
			if (ini_duration(v, &t) || t < 1 || t > 3600) {
				errf(err, errlen, "%s:%d: timeout wants a duration from 1s to 1h, got '%s'", cfg->path,
				     ini_line(s, "timeout"), v);
				return -EINVAL;
			}
			o->timeout = (unsigned)t;
		}
		if ((v = ini_get(s, "max_body")) && (ini_size(v, &o->max_body) || o->max_body < 1024)) {
			errf(err, errlen, "%s:%d: max_body wants a size of at least 1K, got '%s'", cfg->path, ini_line(s, "max_body"), v);
			return -EINVAL;
		}
		long n;
		if ((v = ini_get(s, "search_threads"))) {
			if (parse_long(v, 0, 64, &n)) {
				errf(err, errlen, "%s:%d: search_threads wants a number from 0 to 64, got '%s'", cfg->path,
				     ini_line(s, "search_threads"), v);
				return -EINVAL;
			}
			o->search_threads = (unsigned)n;
		}
		static const char *const deadlines[] = {"head_timeout", "body_timeout"};
		double *dl[] = {&o->head_timeout, &o->body_timeout};
		for (int i = 0; i < 2; i++)
			if ((v = ini_get(s, deadlines[i])) && (ini_duration(v, dl[i]) || *dl[i] < 1 || *dl[i] > 3600)) {
				errf(err, errlen, "%s:%d: %s wants a duration from 1s to 1h, got '%s'", cfg->path,
				     ini_line(s, deadlines[i]), deadlines[i], v);
				return -EINVAL;
			}
		static const char *const rates[] = {"write_rate", "write_rate_global"};
		struct web_rate *rt[] = {&o->write_rate, &o->write_rate_global};
		for (int i = 0; i < 2; i++)
			if ((v = ini_get(s, rates[i])) && guard_rate_parse(v, rt[i])) {
				errf(err, errlen, "%s:%d: %s wants requests per duration such as 20/1m, got '%s'", cfg->path,
				     ini_line(s, rates[i]), rates[i], v);
				return -EINVAL;
			}
		if ((v = ini_get(s, "max_client_connections"))) {
			if (parse_long(v, 1, 10000, &n)) {
				errf(err, errlen, "%s:%d: max_client_connections wants a number from 1 to 10000, got '%s'", cfg->path,
				     ini_line(s, "max_client_connections"), v);
				return -EINVAL;
			}
			o->max_client_connections = (unsigned)n;
		}
		if ((v = ini_get(s, "trusted_proxies"))) {
			struct netguard g;
			char sub[ERRBUF_SIZE];
			netguard_init(&g);
			int bad = netguard_add(&g, v, sub, sizeof(sub));
			netguard_release(&g);
			if (bad) {
				errf(err, errlen, "%s:%d: trusted_proxies: %s", cfg->path, ini_line(s, "trusted_proxies"), sub);
				return -EINVAL;
			}
			o->trusted_proxies = v;
		}
	}
	if ((v = getenv("TBTWARN_LISTEN")) && *v)
		o->listen = v;
	if ((v = getenv("TBTWARN_ADMIN_TOKEN")) && *v)
		o->admin_token = v;
	if ((v = getenv("TBTWARN_WRITE_RATE")) && *v && guard_rate_parse(v, &o->write_rate)) {
		errf(err, errlen, "TBTWARN_WRITE_RATE wants requests per duration such as 20/1m, got '%s'", v);
		return -EINVAL;
	}
	return 0;
}

/* ---- parameters ---- */

/* A form body (application/x-www-form-urlencoded) as alternating names and values, decoded. */
static void parse_form(struct req *r)
{
	const char *ct = req_header(r, "Content-Type");
	strv_init(&r->form);
	r->form_parsed = 1;
	if (!r->body.len || !ct || !starts_with_ci(ct, "application/x-www-form-urlencoded"))
		return;
	for (const char *p = r->body.s; *p;) {
		size_t n = strcspn(p, "&");
		char *pair = xstrndup(p, n), *eq = strchr(pair, '=');
		if (eq)
			*eq = '\0';
		for (char *q = pair; *q; q++)
			if (*q == '+')
				*q = ' ';
		char *val = eq ? eq + 1 : pair + strlen(pair);
		for (char *q = val; *q; q++)
			if (*q == '+')
				*q = ' ';
		MHD_http_unescape(pair);
		MHD_http_unescape(val);
		strv_push(&r->form, pair);
		strv_push(&r->form, val);
		free(pair);
		p += n;
		if (*p == '&')
			p++;
	}
}

const char *req_param(struct req *r, const char *name)
{
	const char *v = MHD_lookup_connection_value(r->c, MHD_GET_ARGUMENT_KIND, name);
	if (v)
		return v;
	if (!r->form_parsed)
		parse_form(r);
	for (size_t i = 0; i + 1 < r->form.n; i += 2)
		if (!strcmp(r->form.items[i], name))
			return r->form.items[i + 1];
	return NULL;
}

struct collect {
	const char *name;
	struct strv *out;
};

static enum MHD_Result collect_values(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct collect *c = cls;
	(void)kind;
	if (!key || strcmp(key, c->name) || !value)
		return MHD_YES;
	for (const char *p = value; *p;) {
		size_t n = strcspn(p, ",");
		char *one = xstrndup(p, n);
		char *t = one;
		while (*t == ' ')
			t++;
		size_t l = strlen(t);
		while (l && t[l - 1] == ' ')
			t[--l] = '\0';
		if (*t)
			strv_push_unique(c->out, t);
		free(one);
		p += n;
		if (*p == ',')
			p++;
	}
	return MHD_YES;
}

void req_params(struct req *r, const char *name, struct strv *out)
{
	struct collect c = {name, out};
	MHD_get_connection_values(r->c, MHD_GET_ARGUMENT_KIND, collect_values, &c);
	if (!r->form_parsed)
		parse_form(r);
	for (size_t i = 0; i + 1 < r->form.n; i += 2)
		collect_values(&c, MHD_POSTDATA_KIND, r->form.items[i], r->form.items[i + 1]);
}

const char *req_header(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, name);
}

int req_subscriber(struct req *r, const char *purpose, int64_t *id)
{
	const char *s = req_param(r, "s"), *t = req_param(r, "t");
	long v;
	if (!s || !t || parse_long(s, 1, LONG_MAX, &v) || !subs_token_ok(r->w->ao->secret, purpose, v, t))
		return 0;
	*id = v;
	return 1;
}

/* ---- answers ---- */

static void security_headers(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
				"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(resp, "Permissions-Policy", "camera=(), microphone=(), geolocation=()");
}

static int compressible(const char *type)
{
	return starts_with(type, "text/") || strstr(type, "json") || strstr(type, "xml") || strstr(type, "javascript") ||
	       strstr(type, "calendar");
}

/* gzip of data into out; 0 or -1. */
static int gzip_buf(const char *data, size_t len, struct buf *out)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	size_t cap = deflateBound(&z, (uLong)len) + 32;
	buf_reset(out);
	if (buf_add(out, "", 0) || cap > 256u * 1024 * 1024) {
		deflateEnd(&z);
		return -1;
	}
	char *dst = xmalloc(cap);
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)dst;
	z.avail_out = (uInt)cap;
	int rc = deflate(&z, Z_FINISH);
	if (rc == Z_STREAM_END)
		buf_add(out, dst, cap - z.avail_out);
	free(dst);
	deflateEnd(&z);
	return rc == Z_STREAM_END ? 0 : -1;
}

enum MHD_Result respond(struct req *r, unsigned status, const char *type, const char *body, size_t len,
			const char *const *headers)
{
	struct buf gz;
	struct MHD_Response *resp;
	int zipped = 0;
	buf_init(&gz, BUF_NOMAX);
	if (r->gzip_ok && len > 1024 && compressible(type) && !gzip_buf(body, len, &gz) && gz.len < len) {
		body = gz.s;
		len = gz.len;
		zipped = 1;
	}
	resp = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	buf_release(&gz);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", type);
	if (zipped)
		MHD_add_response_header(resp, "Content-Encoding", "gzip");
	if (compressible(type))
		MHD_add_response_header(resp, "Vary", "Accept-Encoding");
	security_headers(resp);
	for (size_t i = 0; headers && headers[i]; i += 2)
		MHD_add_response_header(resp, headers[i], headers[i + 1]);
	r->status = status;
	r->bytes = len;
	enum MHD_Result rc = MHD_queue_response(r->c, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

enum MHD_Result respond_json(struct req *r, unsigned status, json_t *j)
{
	struct answer a;
	answer_json(&a, status, j);
	enum MHD_Result rc = respond_answer(r, &a);
	free(a.body);
	return rc;
}

static json_t *error_json(unsigned status, const char *code, const char *msg)
{
	json_t *j = json_object();
	json_object_set_new(j, "status", json_integer(status));
	json_object_set_new(j, "code", json_string(code));
	/* A message quoting bad input may hold invalid UTF-8: jansson refuses it, so it is cleaned first. */
	struct buf clean;
	buf_init(&clean, BUF_NOMAX);
	for (const char *p = msg; *p;) {
		size_t bad;
		size_t n = strlen(p);
		if (utf8_valid(p, n, &bad)) {
			buf_addstr(&clean, p);
			break;
		}
		buf_add(&clean, p, bad);
		buf_addstr(&clean, "\xEF\xBF\xBD");
		p += bad + 1;
	}
	json_object_set_new(j, "message", json_string(clean.s ? clean.s : ""));
	/* Chinese first for Chinese readers: what went wrong in Chinese, the exact detail after it. */
	static const struct {
		const char *code, *zh;
	} zh[] = {
	    {"bad_parameter", "参数有误"},
	    {"bad_query", "检索式有误"},
	    {"not_found", "未找到"},
	    {"store_failed", "数据存储出错，请稍后重试"},
	    {"search_failed", "检索出错，请稍后重试"},
	    {"read_only", "本服务器为只读镜像，不能修改"},
	    {"csrf", "表单已过期或来源不符，请刷新页面后重试"},
	    {"bad_token", "链接无效（可能被改动或截断）"},
	    {"unauthorized", "需要管理口令"},
	    {"admin_disabled", "未启用管理功能"},
	    {"too_large", "请求内容过大"},
	    {"method_not_allowed", "不支持该请求方法"},
	    {"internal", "服务器内部错误"},
	    {"busy", "服务器繁忙，请稍后重试"},
	    {"bad_path", "路径无效"},
	    {"bad_json", "请求内容不是有效的 JSON"},
	};
	for (size_t i = 0; i < sizeof(zh) / sizeof(zh[0]); i++)
		if (!strcmp(code, zh[i].code)) {
			struct buf m;
			buf_init(&m, BUF_NOMAX);
			buf_addf(&m, "%s（%s）", zh[i].zh, clean.s ? clean.s : "");
			json_object_set_new(j, "message_zh", json_string(m.s));
			buf_release(&m);
		}
	buf_release(&clean);
	return j;
}

enum MHD_Result respond_error(struct req *r, unsigned status, const char *code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return respond_json(r, status, error_json(status, code, msg));
}

void answer_json(struct answer *out, unsigned status, json_t *j)
{
	out->status = status;
	out->body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
}

void answer_error(struct answer *out, unsigned status, const char *code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	answer_json(out, status, error_json(status, code, msg));
}

enum MHD_Result respond_answer(struct req *r, const struct answer *a)
{
	if (!a->body)
		return respond_error(r, 500, "internal", "the answer could not be written");
	const char *h[] = {"Cache-Control", "no-cache", NULL};
	return respond(r, a->status, "application/json; charset=utf-8", a->body, strlen(a->body), h);
}

enum MHD_Result web_offload(struct req *r, pool_fn fn, void *arg, void (*free_arg)(void *))
{
	if (r->w->pool)
		return pool_submit(r->w->pool, r, fn, arg, free_arg);
	struct answer ans = {0, NULL};
	fn(r->w->a, arg, &ans);
	if (free_arg)
		free_arg(arg);
	enum MHD_Result rc = respond_answer(r, &ans);
	free(ans.body);
	return rc;
}

struct stream {
	stream_fill_fn fill;
	void *arg;
	void (*free_arg)(void *);
	int done;
};

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	(void)pos;
	for (;;) {
		if (s->done)
			return MHD_CONTENT_READER_END_OF_STREAM;
		size_t n = s->fill(s->arg, buf, max, &s->done);
		if (n)
			return (ssize_t)n;
	}
}

static void stream_free(void *cls)
{
	struct stream *s = cls;
	if (s->free_arg)
		s->free_arg(s->arg);
	free(s);
}

enum MHD_Result respond_stream(struct req *r, const char *type, const char *disposition, stream_fill_fn fill, void *arg,
			       void (*free_arg)(void *))
{
	struct stream *s = xcalloc(1, sizeof(*s));
	s->fill = fill;
	s->arg = arg;
	s->free_arg = free_arg;
	struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, stream_reader, s, stream_free);
	if (!resp) {
		stream_free(s);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", type);
	if (disposition)
		MHD_add_response_header(resp, "Content-Disposition", disposition);
	security_headers(resp);
	r->status = 200;
	enum MHD_Result rc = MHD_queue_response(r->c, 200, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* ---- requests ---- */

static double mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static const char *pick_lang(struct req *r)
{
	const char *l = req_param(r, "lang");
	if (l && (!strcmp(l, "en") || !strcmp(l, "zh")))
		return l;
	const char *al = req_header(r, "Accept-Language");
	/* Chinese first: English only when the browser prefers it to Chinese. */
	if (al) {
		const char *en = strcasestr(al, "en"), *zh = strcasestr(al, "zh");
		if (en && (!zh || en < zh))
			return "en";
	}
	return "zh";
}

static enum MHD_Result dispatch(struct req *r)
{
	int rc;
	r->lang = pick_lang(r); /* now that the body (which may carry lang) is in */
	if (r->body_too_big)
		return respond_error(r, 413, "too_large", "the request body is over %zu bytes", r->w->o.max_body);
	if (!utf8_valid(r->path, strlen(r->path), NULL))
		return respond_error(r, 400, "bad_path", "the path is not valid UTF-8");
	if (strcmp(r->method, "GET") && !r->head && strcmp(r->method, "OPTIONS") && !staff_authenticated(r)) {
		/* State-changing requests: a limit per client and one in all. Staff (the admin token, a live session)
		 * are exempt: an analyst editing fast is not a flood, and what they may do their role decides; a wrong
		 * token or a made-up session counts like any visitor's request. */
		char client[64];
		guard_client(r, client, sizeof(client));
		double wait = guard_rate(r->w, client);
		if (wait > 0) {
			char secs[32];
			snprintf(secs, sizeof(secs), "%.0f", ceil(wait));
			const char *hd[] = {"Retry-After", secs, NULL};
			r->w->rate_limited++;
			struct buf b;
			buf_init(&b, 1024);
			buf_addf(&b, "{\"status\": 429, \"code\": \"rate_limited\", \"message\": \"%s%s%s\"}",
				 !strcmp(r->lang, "en") ? "too many requests from your address: try again in " : "请求过于频繁，请在 ",
				 secs, !strcmp(r->lang, "en") ? " s" : " 秒后重试");
			enum MHD_Result answered = respond(r, 429, "application/json; charset=utf-8", b.s, b.len, hd);
			buf_release(&b);
			return answered;
		}
	}
	if ((rc = ops_handle(r)) >= 0 || (rc = api_handle(r)) >= 0 || (rc = feeds_handle(r)) >= 0 || (rc = pages_handle(r)) >= 0 ||
	    (rc = static_handle(r)) >= 0)
		return (enum MHD_Result)rc;
	if (starts_with(r->path, "/api/"))
		return respond_error(r, 404, "not_found", "no such endpoint: %s %s", r->method, r->path);
	return respond_error(r, 404, "not_found", "nothing at %s", r->path);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct web *w = cls;
	struct req *r = *con_cls;
	(void)version;
	if (!r) {
		r = xcalloc(1, sizeof(*r));
		r->w = w;
		r->c = c;
		r->method = method;
		r->t0 = mono_ms();
		r->path = xstrdup(url);
		buf_init(&r->body, w->o.max_body);
		const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Encoding");
		r->gzip_ok = ae && strstr(ae, "gzip");
		r->head = !strcmp(method, "HEAD");
		*con_cls = r;
		guard_stage(r, GUARD_BODY); /* the head is in; the body (if any) has its own deadline */
		return MHD_YES;
	}
	if (r->task) /* resumed: the search thread's answer is ready */
		return pool_answer(r);
	if (*upload_size) {
		if (buf_add(&r->body, upload, *upload_size))
			r->body_too_big = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	guard_stage(r, GUARD_DONE);
	return dispatch(r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode why)
{
	struct web *w = cls;
	struct req *r = *con_cls;
	(void)c;
	if (!r)
		return;
	if (w->o.access_log) {
		char ts[21];
		now_iso(ts);
		/* logfmt; the path is quoted, and what is not printable ASCII is escaped. */
		fprintf(w->o.access_log, "ts=%s level=info component=web msg=request method=%s path=\"", ts, r->method);
		for (const unsigned char *p = (const unsigned char *)r->path; *p && p - (const unsigned char *)r->path < 300; p++)
			if (*p < 0x20 || *p == '"' || *p == '\\' || *p >= 0x7f)
				fprintf(w->o.access_log, "\\x%02x", *p);
			else
				fputc(*p, w->o.access_log);
		fprintf(w->o.access_log, "\" status=%u bytes=%zu ms=%.1f%s\n", r->status, r->bytes, mono_ms() - r->t0,
			why == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=true");
		fflush(w->o.access_log);
	}
	pool_forget(r);
	if (why == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		guard_stage(r, GUARD_HEAD); /* kept alive: the next request's head has its deadline */
	buf_release(&r->body);
	if (r->form_parsed)
		strv_release(&r->form);
	free(r->path);
	free(r);
	*con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context, enum MHD_ConnectionNotificationCode code)
{
	guard_conn_event(cls, c, socket_context, code);
}

/* ---- the loop ---- */

static void reschedule(struct web *w)
{
	MHD_UNSIGNED_LONG_LONG ms;
	ev_timer_stop(w->loop, &w->timer);
	if (MHD_get_timeout(w->d, &ms) == MHD_YES) {
		ev_timer_set(&w->timer, (double)ms / 1000.0, 0.);
		ev_timer_start(w->loop, &w->timer);
	}
}

void web_run(struct web *w)
{
	MHD_run(w->d);
	reschedule(w);
}

static void on_io(struct ev_loop *loop, ev_io *io, int revents)
{
	(void)loop;
	(void)revents;
	web_run(io->data);
}

static void on_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct web *w = t->data;
	(void)loop;
	(void)revents;
	MHD_run(w->d);
	reschedule(w);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct web *w = cls;
	if (!w->o.access_log)
		return;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	char ts[21];
	now_iso(ts);
	fprintf(w->o.access_log, "ts=%s level=warn component=web msg=\"%s\"\n", ts, msg);
}

static int parse_listen(const char *s, struct sockaddr_in *sa, char *err, size_t errlen)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	long port;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (!colon || (size_t)(colon - s) >= sizeof(host) || parse_long(colon + 1, 0, 65535, &port)) {
		errf(err, errlen, "listen address '%s' is not ADDRESS:PORT (such as 127.0.0.1:8080)", s);
		return -EINVAL;
	}
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	if (!strcmp(host, "localhost"))
		snprintf(host, sizeof(host), "127.0.0.1");
	if (inet_pton(AF_INET, *host ? host : "0.0.0.0", &sa->sin_addr) != 1) {
		errf(err, errlen, "listen address '%s': '%s' is not an IPv4 address", s, host);
		return -EINVAL;
	}
	sa->sin_port = htons((uint16_t)port);
	return 0;
}

struct web *web_new(struct ev_loop *loop, struct archive *a, struct crawler *cr, const struct alert_opts *ao,
		    const struct web_opts *o, char *err, size_t errlen)
{
	struct sockaddr_in sa;
	if (parse_listen(o->listen, &sa, err, errlen))
		return NULL;
	struct web *w = xcalloc(1, sizeof(*w));
	w->loop = loop;
	w->a = a;
	w->cr = cr;
	w->ao = ao;
	w->o = *o;
	w->started = now_epoch();
	netguard_init(&w->proxy_ranges);
	if (o->trusted_proxies && !netguard_add(&w->proxy_ranges, o->trusted_proxies, err, errlen))
		w->proxies = &w->proxy_ranges;
	guard_start(w);
	w->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL, on_request, w,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, w, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_TIMEOUT, o->timeout,
				/* Requests whose line and headers do not fit are answered 431 or 414 by the library. */
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024, MHD_OPTION_CONNECTION_LIMIT, 1000u,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, o->max_client_connections, MHD_OPTION_NOTIFY_COMPLETED, on_completed, w,
				MHD_OPTION_NOTIFY_CONNECTION, on_connection, w,
				MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_END);
	if (!w->d) {
		errf(err, errlen, "cannot listen on %s: %s", o->listen, strerror(errno ? errno : EADDRINUSE));
		free(w);
		return NULL;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(w->d, MHD_DAEMON_INFO_EPOLL_FD);
	const union MHD_DaemonInfo *pi = MHD_get_daemon_info(w->d, MHD_DAEMON_INFO_BIND_PORT);
	w->port = pi ? pi->port : ntohs(sa.sin_port);
	ev_io_init(&w->io, on_io, di->epoll_fd, EV_READ);
	w->io.data = w;
	ev_io_start(loop, &w->io);
	ev_timer_init(&w->timer, on_timer, 0., 0.);
	w->timer.data = w;
	reschedule(w);
	if (o->search_threads && !(w->pool = pool_new(w, o->search_threads, err, errlen))) {
		web_free(w);
		return NULL;
	}
	return w;
}

void web_set_crawler(struct web *w, struct crawler *cr)
{
	w->cr = cr;
}

void web_set_opts(struct web *w, const struct web_opts *o)
{
	const char *listen = w->o.listen;
	FILE *log = w->o.access_log;
	w->o = *o;
	w->o.listen = listen;
	w->o.access_log = log;
}

void web_set_status(struct web *w, const char *(*fn)(void *arg), void *arg)
{
	w->status_fn = fn;
	w->status_arg = arg;
}

unsigned web_port(const struct web *w)
{
	return w->port;
}

void web_free(struct web *w)
{
	if (!w)
		return;
	pool_free(w->pool);
	ev_io_stop(w->loop, &w->io);
	ev_timer_stop(w->loop, &w->timer);
	MHD_stop_daemon(w->d);
	guard_stop(w);
	netguard_release(&w->proxy_ranges);
	free(w);
}
