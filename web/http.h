/* http.h: what the web stage's handlers share: the request, its parameters, and the ways to answer. Internal to web/. */
#ifndef TBT_HTTP_H
#define TBT_HTTP_H

#include "buf.h"
#include "netguard.h"
#include "web.h"

#include <jansson.h>
#include <microhttpd.h>
#include <stdarg.h>

struct web {
	struct ev_loop *loop;
	struct archive *a;
	struct crawler *cr;
	const struct alert_opts *ao;
	struct web_opts o;
	struct MHD_Daemon *d;
	ev_io io;
	ev_timer timer;
	unsigned port;
	/* The service's state for /healthz: NULL when healthy, else why not (disk almost full, ...). */
	const char *(*status_fn)(void *arg);
	void *status_arg;
	double started;
	struct pool *pool; /* search threads, or NULL: searches run on the loop */
	/* guard.c's state: the trusted proxies, the rate limiter, the connections and their deadlines. */
	struct netguard proxy_ranges;
	const struct netguard *proxies; /* &proxy_ranges when any are configured, else NULL */
	struct limiter *limiter;
	struct guard_conn *conns;
	ev_timer sweep;
	unsigned long slow_cut, rate_limited, csrf_refused;
};

/* One request. */
struct req {
	struct web *w;
	struct MHD_Connection *c;
	const char *method;
	char *path;      /* decoded, without the query string */
	struct buf body; /* the request body, up to the limit */
	int body_too_big;
	double t0;
	unsigned status;
	size_t bytes;
	int gzip_ok; /* the client accepts gzip */
	int head;    /* HEAD: headers only */
	const char *lang; /* "zh" or "en", for server-made pages */
	struct strv form; /* a form body's names and values, once parsed */
	int form_parsed;
	struct task *task; /* work on a search thread: the connection is suspended until it is done */
};

/* A parameter of the query string (or of a form body), or NULL. Borrowed. */
const char *req_param(struct req *r, const char *name);
/* Every value of a parameter given several times or comma-separated, appended to out. */
void req_params(struct req *r, const char *name, struct strv *out);
const char *req_header(struct req *r, const char *name);
/* Whether the link's s (subscriber id) and t (token for purpose) parameters are right; *id gets the subscriber. */
int req_subscriber(struct req *r, const char *purpose, int64_t *id);

/* Answers with body (copied); security headers always, gzip when the client takes it and the body is large. */
enum MHD_Result respond(struct req *r, unsigned status, const char *type, const char *body, size_t len,
			const char *const *headers);
enum MHD_Result respond_json(struct req *r, unsigned status, json_t *j); /* steals j */
/* {"status": 400, "code": "bad_parameter", "message": "..."} */
enum MHD_Result respond_error(struct req *r, unsigned status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* A streamed body produced by fill (called until it returns 0 bytes with *done set). */
typedef size_t (*stream_fill_fn)(void *arg, char *out, size_t max, int *done);
enum MHD_Result respond_stream(struct req *r, const char *type, const char *disposition, stream_fill_fn fill, void *arg,
			       void (*free_arg)(void *));

/* A JSON answer made away from the loop: status and body (malloc'd). */
struct answer {
	unsigned status;
	char *body;
};
/* An error answer: {"status": ..., "code": ..., "message": ...}. */
void answer_error(struct answer *out, unsigned status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Takes j (steals it) as the answer's body. */
void answer_json(struct answer *out, unsigned status, json_t *j);
enum MHD_Result respond_answer(struct req *r, const struct answer *a);

/* Work that reads the archive (a handle of the thread it runs on) and writes an answer; nothing else is touched. */
typedef void (*pool_fn)(struct archive *a, void *arg, struct answer *out);
/* Runs fn on a search thread when there are some (the connection waits, suspended), else here; arg is freed with
 * free_arg afterwards. Returns what the handler returns. */
enum MHD_Result web_offload(struct req *r, pool_fn fn, void *arg, void (*free_arg)(void *));

struct pool *pool_new(struct web *w, size_t threads, char *err, size_t errlen);
enum MHD_Result pool_submit(struct pool *p, struct req *r, pool_fn fn, void *arg, void (*free_arg)(void *));
enum MHD_Result pool_answer(struct req *r); /* sends a finished task's answer */
void pool_forget(struct req *r);            /* frees an unanswered task */
/* Joins the threads; finished tasks' connections are resumed for the daemon to close. */
void pool_free(struct pool *p);
/* Lets libmicrohttpd work now (after connections were resumed). */
void web_run(struct web *w);

/* guard.c: the client's address (X-Forwarded-For's last hop when the peer is a trusted proxy) into out. */
void guard_client(struct req *r, char *out, size_t outlen);
/* Parses "N/DURATION" ("20/1m"); 0 or -1. */
int guard_rate_parse(const char *s, struct web_rate *out);
/* Counts one state-changing request of client against its limit and the global one: 0 when allowed, else the
 * seconds to wait (for Retry-After). */
double guard_rate(struct web *w, const char *client);
/* A CSRF token for the requesting client ("TIME.MAC"), valid 12 hours. */
#define GUARD_CSRF_LEN 48
void guard_csrf_token(struct req *r, char out[GUARD_CSRF_LEN]);
/* NULL when the request carries a valid CSRF token (X-CSRF-Token or the csrf field) and does not come from another
 * site (Origin, Sec-Fetch-Site); else why not, for the visitor, in the request's language (r->lang). */
const char *guard_csrf_check(struct req *r);
/* Connections as libmicrohttpd reports them (MHD_OPTION_NOTIFY_CONNECTION). */
void guard_conn_event(struct web *w, struct MHD_Connection *c, void **socket_context, enum MHD_ConnectionNotificationCode code);
/* Where a request is: waiting for its head (deadline head_timeout), receiving its body (body_timeout), or complete. */
enum guard_stage { GUARD_HEAD, GUARD_BODY, GUARD_DONE };
void guard_stage(struct req *r, enum guard_stage stage);
void guard_start(struct web *w);
void guard_stop(struct web *w);

/* api.c: whether the request comes from staff with one of roles (enum role's bits): the admin bearer token, or a
 * session cookie (*s filled) with the CSRF token on anything but GET. Else answers 401 or 403 (*answered) and
 * returns 0. */
struct session;
/* Whether the request carries the admin token or a live session (staff: not counted against the public rate). */
int staff_authenticated(struct req *r);
int staff_ok(struct req *r, int roles, struct session *s, enum MHD_Result *answered);

/* analysis.c: what hangs off /api/notifications/{symbol}/analysis... and /advice...; rest is the path after
 * "/api/notifications/". -1 when the path is not one of them. */
int analysis_handle(struct req *r, const char *rest);

/* Handlers: each returns the result of a respond_* call, or -1 when the path is not theirs. */
int api_handle(struct req *r);
int feeds_handle(struct req *r);
int pages_handle(struct req *r);
int static_handle(struct req *r);
int ops_handle(struct req *r);

#endif
