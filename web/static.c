/* static.c: the web UI's files, built into the binary (scripts/embed_web.sh): exact paths only, so no request can
 * reach the file system; the UI's routes (/, /n/..., /dashboard, /subscribe, /manage, /translate, /impact (or /impact/), /login) all get index.html. */
#include "http.h"

#include "hash.h"

#include <string.h>

struct web_file {
	const char *path;
	const unsigned char *data;
	size_t len;
};
extern const struct web_file tbt_web_files[];

static const char *type_of(const char *path)
{
	const char *dot = strrchr(path, '.');
	static const char *const types[][2] = {{".html", "text/html; charset=utf-8"},
					       {".js", "text/javascript; charset=utf-8"},
					       {".css", "text/css; charset=utf-8"},
					       {".svg", "image/svg+xml"},
					       {".png", "image/png"},
					       {".json", "application/json; charset=utf-8"}};
	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(dot, types[i][0]))
			return types[i][1];
	return "application/octet-stream";
}

static enum MHD_Result serve_file(struct req *r, const struct web_file *f, int cache)
{
	char etag[72], digest[65];
	sha256_hex(f->data, f->len, digest);
	snprintf(etag, sizeof(etag), "\"%.32s\"", digest);
	const char *inm = req_header(r, "If-None-Match");
	const char *hd[] = {"ETag", etag, "Cache-Control", cache ? "public, max-age=3600" : "no-cache", NULL};
	if (inm && !strcmp(inm, etag))
		return respond(r, 304, type_of(f->path), "", 0, hd);
	return respond(r, 200, type_of(f->path), (const char *)f->data, f->len, hd);
}

static const struct web_file *find(const char *path)
{
	for (const struct web_file *f = tbt_web_files; f->path; f++)
		if (!strcmp(f->path, path))
			return f;
	return NULL;
}

int static_handle(struct req *r)
{
	const char *p = r->path;
	if (strcmp(r->method, "GET") && !r->head)
		return -1;
	if (!strcmp(p, "/") || starts_with(p, "/n/") || !strcmp(p, "/dashboard") || !strcmp(p, "/subscribe") ||
	    !strcmp(p, "/manage") || !strcmp(p, "/translate") || !strcmp(p, "/impact") || !strcmp(p, "/impact/") || !strcmp(p, "/login")) {
		const struct web_file *f = find("/index.html");
		return f ? (int)serve_file(r, f, 0) : -1;
	}
	if (starts_with(p, "/static/")) {
		const struct web_file *f = find(p + 7);
		if (!f || !strcmp(f->path, "/index.html"))
			return respond_error(r, 404, "not_found", "no file %s", p);
		return serve_file(r, f, 1);
	}
	if (!strcmp(p, "/favicon.ico") || !strcmp(p, "/favicon.svg")) {
		const struct web_file *f = find("/favicon.svg");
		return f ? (int)serve_file(r, f, 1) : -1;
	}
	return -1;
}
