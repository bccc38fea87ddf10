/* transport.c: the ways an alert leaves, behind one table of operations (git's transport vtable, curl's handlers):
 * e-mail (through the relay's SMTP sessions, or a maildir), a Standard Webhooks endpoint, and the WeCom, DingTalk
 * and Feishu group robots. Each writes its body and request, and judges the answer; alert.c sends and records. */
#include "alert_impl.h"
#include "render.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---- e-mail ---- */

static void mail_write(const struct outgoing_in *in, struct outgoing *out)
{
	if (!strcmp(in->kind, "operator"))
		out->body = render_note_mail(in->who, in->message_id, in->o->mail_from, in->note ? in->note : "tbtwarn");
	else if (!strcmp(in->kind, "confirm") || !strcmp(in->kind, "manage"))
		out->body = render_confirm_mail(in->who, in->message_id, in->o->base_url, in->o->secret, in->o->mail_from,
						!strcmp(in->kind, "manage"));
	else
		out->body = render_mail(in->m);
}

/* SMTP: a 5xx reply is final; anything else (4xx, a dropped connection, a timeout) is tried again. */
static int mail_permanent(const struct fetch_result *r)
{
	return r->status >= 500 && r->status < 600;
}

/* ---- HTTP targets ---- */

/* HTTP: a 4xx answer is final, except 408 (timeout) and 429 (rate limit); 5xx and transport errors are retried. */
static int http_permanent(const struct fetch_result *r)
{
	return r->status >= 400 && r->status < 500 && r->status != 408 && r->status != 429;
}

/* Standard Webhooks v1: the message id, the time, and the signature over both and the body. */
static void webhook_write(const struct outgoing_in *in, struct outgoing *out)
{
	json_t *j = render_webhook(in->m);
	out->body = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	buf_addf(&out->hdr[0], "webhook-id: %s", in->message_id);
	buf_addf(&out->hdr[1], "webhook-timestamp: %ld", in->ts);
	if (in->secret) {
		sign_standard_webhook(in->secret, in->message_id, in->ts, out->body, &out->sig);
		buf_addf(&out->hdr[2], "webhook-signature: %s", out->sig.s);
	}
	out->headers[0] = "Content-Type: application/json";
	out->headers[1] = out->hdr[0].s;
	out->headers[2] = out->hdr[1].s;
	out->headers[3] = in->secret ? out->hdr[2].s : NULL;
	out->req.url = in->url;
}

/* The group robots: their own JSON, signed in the body (WeCom has no signature, Feishu signs in the body) or, for
 * DingTalk, in the URL (timestamp and sign parameters, the time in milliseconds). */
static void robot_write(const struct outgoing_in *in, struct outgoing *out, enum channel ch)
{
	out->body = render_robot(in->m, ch, in->secret, in->ts);
	buf_addstr(&out->url, in->url);
	if (ch == CH_DINGTALK && in->secret) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		long long ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
		buf_addf(&out->url, "%ctimestamp=%lld&sign=", strchr(in->url, '?') ? '&' : '?', ms);
		sign_dingtalk(in->secret, ms, &out->url);
	}
	out->headers[0] = "Content-Type: application/json; charset=utf-8";
	out->req.url = out->url.s;
}

static void wecom_write(const struct outgoing_in *in, struct outgoing *out)
{
	robot_write(in, out, CH_WECOM);
}

static void dingtalk_write(const struct outgoing_in *in, struct outgoing *out)
{
	robot_write(in, out, CH_DINGTALK);
}

static void feishu_write(const struct outgoing_in *in, struct outgoing *out)
{
	robot_write(in, out, CH_FEISHU);
}

/* A robot answers HTTP 200 with its own status in the body: {"errcode": 0} (WeCom, DingTalk), {"code": 0} or
 * {"StatusCode": 0} (Feishu). Anything else failed; rate limits are temporary. */
static int robot_answer(struct fetch_result *r, int *temporary)
{
	json_error_t jerr;
	json_t *j = json_loadb(r->body.s ? r->body.s : "", r->body.len, 0, &jerr);
	json_t *code = j ? json_object_get(j, "errcode") : NULL;
	json_t *msg = j ? json_object_get(j, "errmsg") : NULL;
	if (!code) {
		code = j ? json_object_get(j, "code") : NULL;
		msg = j ? json_object_get(j, "msg") : NULL;
	}
	if (!code) {
		code = j ? json_object_get(j, "StatusCode") : NULL;
		msg = j ? json_object_get(j, "StatusMessage") : NULL;
	}
	if (!j || !json_is_integer(code)) {
		snprintf(r->error, sizeof(r->error), "the robot's answer is not its JSON status");
		json_decref(j);
		*temporary = 1;
		return -1;
	}
	long long c = json_integer_value(code);
	if (c) {
		/* Rate limits: WeCom 45009, DingTalk 130101 and 410100, Feishu 9499 and 11232. */
		*temporary = c == 45009 || c == 130101 || c == 410100 || c == 9499 || c == 11232;
		snprintf(r->error, sizeof(r->error), "robot error %lld: %s", c, json_is_string(msg) ? json_string_value(msg) : "");
	}
	json_decref(j);
	return c ? -1 : 0;
}

/* In the order of enum channel. */
static const struct transport transports[] = {
	[CH_EMAIL] = {"e-mail", 1, mail_write, NULL, mail_permanent},
	[CH_WEBHOOK] = {"webhook", 0, webhook_write, NULL, http_permanent},
	[CH_WECOM] = {"WeCom", 0, wecom_write, robot_answer, http_permanent},
	[CH_DINGTALK] = {"DingTalk", 0, dingtalk_write, robot_answer, http_permanent},
	[CH_FEISHU] = {"Feishu", 0, feishu_write, robot_answer, http_permanent},
};

const struct transport *transport_for(enum channel ch)
{
	return (unsigned)ch < sizeof(transports) / sizeof(transports[0]) ? &transports[ch] : NULL;
}

void outgoing_init(struct outgoing *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < 3; i++)
		buf_init(&out->hdr[i], 512);
	buf_init(&out->sig, 256);
	buf_init(&out->url, 512);
	out->req.headers = out->headers;
}

void outgoing_release(struct outgoing *out)
{
	free(out->body);
	for (int i = 0; i < 3; i++)
		buf_release(&out->hdr[i]);
	buf_release(&out->sig);
	buf_release(&out->url);
	memset(out, 0, sizeof(*out));
}
