/* guard.c: the web stage's defences against its visitors: who the client is (behind trusted proxies), write rate
 * limits per client and overall (token buckets), CSRF tokens bound to the client, and deadlines for receiving a
 * request's head and body (slow clients are cut off; per-client connection limits are libmicrohttpd's). */
#include "http.h"

#include "netguard.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* ---- the client ---- */

void guard_client(struct req *r, char *out, size_t outlen)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	snprintf(out, outlen, "unknown");
	if (!sa)
		return;
	netguard_format(sa, out, outlen);
	if (!r->w->proxies || !netguard_contains(r->w->proxies, sa))
		return;
	/* Behind a proxy we trust, the client is the address it appended last to X-Forwarded-For. */
	const char *xff = req_header(r, "X-Forwarded-For");
	if (!xff)
		return;
	const char *last = strrchr(xff, ',');
	last = last ? last + 1 : xff;
	while (*last == ' ')
		last++;
	char ip[64];
	size_t n = strcspn(last, " ");
	struct in6_addr tmp;
	if (n && n < sizeof(ip)) {
		memcpy(ip, last, n);
		ip[n] = '\0';
		if (inet_pton(AF_INET, ip, &tmp) == 1 || inet_pton(AF_INET6, ip, &tmp) == 1)
			snprintf(out, outlen, "%s", ip);
	}
}

/* ---- rate limits ---- */

struct bucket {
	char key[48];
	double tokens, at;
};

#define BUCKETS 4096

struct limiter {
	struct bucket global;
	struct bucket *clients; /* direct-mapped by a hash of the client's address */
};

int guard_rate_parse(const char *s, struct web_rate *out)
{
	long n;
	double per;
	const char *slash = strchr(s, '/');
	char num[16];
	if (!slash || (size_t)(slash - s) >= sizeof(num))
		return -1;
	memcpy(num, s, (size_t)(slash - s));
	num[slash - s] = '\0';
	if (parse_long(num, 1, 1000000, &n) || ini_duration(slash + 1, &per) || per <= 0)
		return -1;
	out->n = (double)n;
	out->per = per;
	return 0;
}

/* Takes one token from b (refilled at rate since b->at); 0, or the seconds until one is there. */
static double take(struct bucket *b, const struct web_rate *rate, double now)
{
	double refill = rate->n / rate->per;
	b->tokens = fmin(rate->n, b->tokens + (now - b->at) * refill);
	b->at = now;
	if (b->tokens >= 1) {
		b->tokens -= 1;
		return 0;
	}
	return (1 - b->tokens) / refill;
}

static uint32_t hash_key(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

double guard_rate(struct web *w, const char *client)
{
	struct limiter *l = w->limiter;
	double now = now_epoch();
	if (!l) {
		l = w->limiter = xcalloc(1, sizeof(*l));
		l->clients = xcalloc(BUCKETS, sizeof(*l->clients));
		l->global.tokens = w->o.write_rate_global.n;
		l->global.at = now;
	}
	struct bucket *b = &l->clients[hash_key(client) % BUCKETS];
	if (strcmp(b->key, client)) {
		/* Another client's slot: taken over once that client's bucket has filled up again (it has been quiet);
		 * until then both share it, which errs on the strict side. */
		double full = b->tokens + (now - b->at) * w->o.write_rate.n / w->o.write_rate.per;
		if (!b->key[0] || full >= w->o.write_rate.n) {
			snprintf(b->key, sizeof(b->key), "%s", client);
			b->tokens = w->o.write_rate.n;
			b->at = now;
		}
	}
	/* The client's own limit first, so that one client's flood does not use up everyone's share. */
	double wait = take(b, &w->o.write_rate, now);
	if (wait > 0)
		return wait;
	wait = take(&l->global, &w->o.write_rate_global, now);
	if (wait > 0)
		b->tokens += 1; /* not spent: refused by the global limit */
	return wait;
}

static void guard_free(struct web *w)
{
	if (w->limiter)
		free(w->limiter->clients);
	free(w->limiter);
	w->limiter = NULL;
}

/* ---- CSRF tokens ---- */

/* TIME.MAC: MAC = the first 32 hex digits of HMAC-SHA256(secret, "csrf|CLIENT|TIME"). Stateless, bound to the
 * client's address, so that a token fetched by another host is worth nothing here. */
static void csrf_mac(const char *secret, const char *client, long long t, char out[33])
{
	char msg[128];
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	int n = snprintf(msg, sizeof(msg), "csrf|%s|%lld", client, t);
	HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)msg, (size_t)n, mac, &len);
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

void guard_csrf_token(struct req *r, char out[GUARD_CSRF_LEN])
{
	char client[64], mac[33];
	long long t = (long long)time(NULL);
	guard_client(r, client, sizeof(client));
	csrf_mac(r->w->ao->secret, client, t, mac);
	snprintf(out, GUARD_CSRF_LEN, "%lld.%s", t, mac);
}

/* The visitor's reasons, Chinese first. */
enum csrf_why { CSRF_OTHER_SITE, CSRF_MISSING, CSRF_BAD, CSRF_EXPIRED };
static const char *const csrf_text[][2] = {
	{"请求来自其他网站，未予处理。", "the request came from another site"},
	{"表单缺少安全令牌：请刷新页面后重试。", "the form's security token is missing: reload the page and try again"},
	{"表单的安全令牌无效：请刷新页面后重试。", "the form's security token is not valid: reload the page and try again"},
	{"表单的安全令牌已过期：请刷新页面后重试。", "the form's security token has expired: reload the page and try again"},
};

static const char *csrf_refusal(struct req *r, enum csrf_why why)
{
	return csrf_text[why][r->lang && !strcmp(r->lang, "en")];
}

const char *guard_csrf_check(struct req *r)
{
	const char *tok = req_header(r, "X-CSRF-Token");
	if (!tok)
		tok = req_param(r, "csrf");
	/* A browser says where a form came from: another site's page may not change anything here. */
	const char *site = req_header(r, "Sec-Fetch-Site");
	if (site && strcmp(site, "same-origin") && strcmp(site, "none"))
		return csrf_refusal(r, CSRF_OTHER_SITE);
	const char *origin = req_header(r, "Origin"), *host = req_header(r, "Host");
	if (origin && strcmp(origin, "null")) {
		const char *o = strstr(origin, "://");
		const char *base = r->w->ao->base_url, *b = base ? strstr(base, "://") : NULL;
		size_t blen = b ? strcspn(b + 3, "/") : 0;
		int same_host = o && host && !strcmp(o + 3, host);
		int same_base = o && b && strlen(o + 3) == blen && !strncmp(o + 3, b + 3, blen);
		if (!same_host && !same_base)
			return csrf_refusal(r, CSRF_OTHER_SITE);
	}
	if (!tok || !*tok)
		return csrf_refusal(r, CSRF_MISSING);
	char *end;
	long long t = strtoll(tok, &end, 10);
	long long now = (long long)time(NULL);
	if (end == tok || *end != '.' || strlen(end + 1) != 32)
		return csrf_refusal(r, CSRF_BAD);
	if (t > now + 300 || now - t > 12 * 3600)
		return csrf_refusal(r, CSRF_EXPIRED);
	char client[64], mac[33];
	guard_client(r, client, sizeof(client));
	csrf_mac(r->w->ao->secret, client, t, mac);
	if (CRYPTO_memcmp(mac, end + 1, 32))
		return csrf_refusal(r, CSRF_BAD);
	return NULL;
}

/* ---- slow clients ---- */

/* One connection: its socket, and by when the request it is receiving must be in (0: none, while answering). */
struct guard_conn {
	int fd;
	double deadline;
	struct guard_conn *prev, *next;
};

void guard_conn_event(struct web *w, struct MHD_Connection *c, void **socket_context, enum MHD_ConnectionNotificationCode code)
{
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		struct guard_conn *g = xcalloc(1, sizeof(*g));
		g->fd = ci ? ci->connect_fd : -1;
		g->deadline = ev_now(w->loop) + w->o.head_timeout;
		g->next = w->conns;
		if (w->conns)
			w->conns->prev = g;
		w->conns = g;
		*socket_context = g;
		if (!ev_is_active(&w->sweep))
			ev_timer_again(w->loop, &w->sweep);
		return;
	}
	struct guard_conn *g = *socket_context;
	if (!g)
		return;
	if (g->prev)
		g->prev->next = g->next;
	else
		w->conns = g->next;
	if (g->next)
		g->next->prev = g->prev;
	free(g);
	*socket_context = NULL;
}

static struct guard_conn *conn_of(struct req *r)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

void guard_stage(struct req *r, enum guard_stage stage)
{
	struct guard_conn *g = conn_of(r);
	if (!g)
		return;
	double now = ev_now(r->w->loop);
	g->deadline = stage == GUARD_HEAD ? now + r->w->o.head_timeout : stage == GUARD_BODY ? now + r->w->o.body_timeout : 0;
}

static void on_sweep(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct web *w = t->data;
	double now = ev_now(loop);
	int cut = 0;
	(void)revents;
	for (struct guard_conn *g = w->conns; g; g = g->next)
		if (g->deadline > 0 && now > g->deadline && g->fd >= 0) {
			/* Too slow: the socket is shut, and libmicrohttpd closes the connection at its next look. */
			shutdown(g->fd, SHUT_RDWR);
			g->deadline = 0;
			cut++;
		}
	w->slow_cut += (unsigned long)cut;
	if (!w->conns)
		ev_timer_stop(loop, t);
	if (cut)
		web_run(w);
}

void guard_start(struct web *w)
{
	ev_init(&w->sweep, on_sweep);
	w->sweep.repeat = 0.5;
	w->sweep.data = w;
}

void guard_stop(struct web *w)
{
	ev_timer_stop(w->loop, &w->sweep);
	guard_free(w);
}
