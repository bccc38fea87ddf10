/* archive.c: ties the store and the index together; SQLite commits first, Xapian follows and records how far. */
#include "archive.h"
#include "db.h"

#include "buf.h"
#include "hash.h"
#include "idx.h"
#include "parse.h"
#include "query.h"
#include "summary.h"
#include "text.h"

#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Records per SQLite transaction during import, and index commits every so many documents. */
#define IMPORT_BATCH 2000
#define INDEX_COMMIT_EVERY 50000
/* Bytes of a draft text kept and indexed (a 300-page regulation is about 1 MiB of text); tries before giving up. */
#define DRAFT_TEXT_MAX (4u << 20)
#define DRAFT_TRIES 4

struct archive {
	char *dir;
	enum archive_mode mode;
	struct store *store;
	struct idx *idx; /* writer in ARCHIVE_WRITE mode, else reader */
	FILE *progress;
	unsigned uncommitted; /* documents indexed since the last index commit */
	int64_t indexed_seq;  /* store sequence that the index has reached (in memory, committed or not) */
	int64_t committed_seq; /* the position the index's last successful commit recorded: the only one to trust */
	char index_error[ERRBUF_SIZE]; /* why the last index write or commit failed, "" once one succeeds again */
	int64_t feed_seq;      /* the index feed's number reached (translations, draft texts), committed or not */
	int64_t committed_feed; /* the feed's number the last index commit recorded */
	const struct catalog *cats;
	const struct risk_config *risk;
	struct risk_config default_risk;
};

static char *path_in(const char *dir, const char *name)
{
	struct buf b;
	buf_init(&b, BUF_NOMAX);
	buf_addf(&b, "%s/%s", dir, name);
	return buf_detach(&b);
}

/* The store every archive of this process opens: set once at start ([store] url, TBTWARN_DATABASE_URL), before any
 * thread; NULL: the SQLite file in the data directory. */
static char *store_url_set;

void archive_use_store(const char *url)
{
	free(store_url_set);
	store_url_set = url && *url ? xstrdup(url) : NULL;
}

int archive_store_on_postgres(void)
{
	return store_url_set && db_url_is_postgres(store_url_set);
}

static char *store_url(const char *dir)
{
	return store_url_set ? xstrdup(store_url_set) : path_in(dir, "tbtwarn.db");
}

static int mkdir_p(const char *dir, char *err, size_t errlen)
{
	char *d = xstrdup(dir);
	for (char *p = d + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(d, 0755) && errno != EEXIST) {
			errf(err, errlen, "create directory '%s': %s", d, strerror(errno));
			free(d);
			return -errno;
		}
		*p = '/';
	}
	if (mkdir(d, 0755) && errno != EEXIST) {
		errf(err, errlen, "create directory '%s': %s", d, strerror(errno));
		free(d);
		return -errno;
	}
	free(d);
	return 0;
}

/* A number the index keeps in its metadata: the store's sequence reached ("store_seq"), the index feed's
 * ("feed_seq"); dflt when the index holds none. */
static int64_t index_meta(struct idx *x, const char *key, int64_t dflt)
{
	char *v = NULL, err[ERRBUF_SIZE];
	long long seq = dflt;
	if (!idx_get_meta(x, key, &v, err, sizeof(err)) && v && *v)
		seq = strtoll(v, NULL, 10);
	free(v);
	return seq;
}

static int64_t index_seq(struct idx *x)
{
	return index_meta(x, "store_seq", 0);
}

/* An index write or commit failed (a full disk, say): what was indexed since the last commit may or may not be there,
 * so the position goes back to the committed one, and the next sync indexes those documents again (replacing a
 * document by its id is idempotent). The position never runs ahead of what a commit made durable. */
static void index_failed(struct archive *a, const char *why)
{
	a->indexed_seq = a->committed_seq;
	a->feed_seq = a->committed_feed;
	a->uncommitted = 0;
	snprintf(a->index_error, sizeof(a->index_error), "%s", why);
}

static int index_commit(struct archive *a, char *err, size_t errlen)
{
	char v[32], f[32];
	snprintf(v, sizeof(v), "%lld", (long long)a->indexed_seq);
	snprintf(f, sizeof(f), "%lld", (long long)a->feed_seq);
	if (idx_set_meta(a->idx, "store_seq", v, err, errlen) || idx_set_meta(a->idx, "feed_seq", f, err, errlen) ||
	    idx_commit(a->idx, err, errlen)) {
		index_failed(a, err);
		return -TBT_EIDX;
	}
	a->uncommitted = 0;
	a->committed_seq = a->indexed_seq;
	a->committed_feed = a->feed_seq;
	a->index_error[0] = '\0';
	return 0;
}

const struct catalog *archive_catalog(struct archive *a)
{
	return a->cats;
}

void archive_set_classifier(struct archive *a, const struct catalog *cats, const struct risk_config *risk)
{
	a->cats = cats ? cats : catalog_default();
	a->risk = risk ? risk : &a->default_risk;
}

/* A derived document without product information of its own takes its base's categories. */
static int needs_base(const struct notif *n)
{
	return n->relation != REL_NONE && !notif_has_product_info(n);
}

void archive_classify(struct archive *a, const struct notif *n, struct cat_result *cats, struct risk *risk)
{
	struct notif *base = NULL;
	char err[ERRBUF_SIZE];
	if (needs_base(n) && store_get(a->store, n->root_symbol, &base, NULL, err, sizeof(err)))
		base = NULL;
	classify(a->cats, n, base, 0, cats);
	risk_assess(a->risk, n, cats, risk);
	notif_free(base);
}

/* The documents of n's measure, n itself among them (as given, not reloaded); ids (if not NULL) receives their row
 * ids, 0 for n. Free with family_free. */
static size_t family(struct archive *a, const struct notif *n, struct notif ***out, int64_t **ids)
{
	struct notif **docs = NULL;
	int64_t *rows = NULL;
	size_t nd = 0;
	int self = 0;
	char err[ERRBUF_SIZE];
	if (n->relation != REL_NONE || store_has_derived(a->store, n->symbol)) {
		struct strv rel;
		strv_init(&rel);
		if (!store_related(a->store, n->root_symbol, &rel, err, sizeof(err))) {
			docs = xcalloc(rel.n + 1, sizeof(*docs));
			rows = xcalloc(rel.n + 1, sizeof(*rows));
			for (size_t i = 0; i < rel.n; i++) {
				struct notif *d;
				if (!strcmp(rel.items[i], n->symbol)) {
					rows[nd] = 0;
					docs[nd++] = (struct notif *)n;
					self = 1;
				} else if (!store_get(a->store, rel.items[i], &d, &rows[nd], err, sizeof(err))) {
					docs[nd++] = d;
				}
			}
		}
		strv_release(&rel);
	}
	if (!self) {
		docs = xrealloc(docs, (nd + 1) * sizeof(*docs));
		rows = xrealloc(rows, (nd + 1) * sizeof(*rows));
		rows[nd] = 0;
		docs[nd++] = (struct notif *)n;
	}
	*out = docs;
	if (ids)
		*ids = rows;
	else
		free(rows);
	return nd;
}

static void family_free(struct notif **docs, size_t nd, const struct notif *n)
{
	for (size_t i = 0; i < nd; i++)
		if (docs[i] != n)
			notif_free(docs[i]);
	free(docs);
}

void archive_effective(struct archive *a, const struct notif *n, struct notif_effective *e)
{
	struct notif **docs;
	size_t nd = family(a, n, &docs, NULL);
	notif_effective(docs, nd, e);
	family_free(docs, nd, n);
}

void archive_apply_effective(const struct notif_effective *e, struct notif *n)
{
	for (int k = D_ADOPTION; k < D_N; k++)
		if (e->d[k].iso[0])
			memcpy(n->dates[k].iso, e->d[k].iso, sizeof(n->dates[k].iso));
	if (e->withdrawn_by[0])
		n->dates[D_COMMENTS].iso[0] = '\0';
}

/* What n changed in its measure's dates, given the measure as it stood before n (was) and with n (now). */
static void change_text(const struct notif *n, const struct notif_effective *was, const struct notif_effective *now,
			int zh, char *out, size_t outlen)
{
	struct buf b;
	buf_init(&b, BUF_NOMAX);
	for (int k = D_ADOPTION; k < D_N; k++) {
		const char *old = was->d[k].iso, *cur = now->d[k].iso;
		if (strcmp(now->d[k].by, n->symbol) || !strcmp(old, cur))
			continue;
		if (b.len)
			buf_addstr(&b, zh ? "；" : "; ");
		if (k == D_COMMENTS && *old)
			buf_addf(&b, zh ? "评议截止日期%s %s（原为 %s）" : "Comment deadline %s %s (was %s)",
				 strcmp(cur, old) > 0 ? (zh ? "延长至" : "extended to") : (zh ? "提前至" : "brought forward to"),
				 cur, old);
		else if (k == D_COMMENTS)
			buf_addf(&b, zh ? "评议截止日期：%s" : "Comments until %s", cur);
		else if (k == D_ADOPTION)
			buf_addf(&b, zh ? "批准日期：%s" : "Adopted %s", cur);
		else
			buf_addf(&b, zh ? "生效日期：%s" : "Enters into force %s", cur);
	}
	if (now->withdrawn_by[0] && !strcmp(now->withdrawn_by, n->symbol) && !was->withdrawn_by[0])
		buf_addstr(&b, b.len ? (zh ? "；措施已撤回" : "; the measure was withdrawn")
				     : (zh ? "措施已撤回" : "The measure was withdrawn"));
	snprintf(out, outlen, "%s", b.s ? b.s : "");
	buf_release(&b);
}

void archive_change_note(struct archive *a, const struct notif *n, struct notif_effective *all, char *zh,
			 size_t zhlen, char *en, size_t enlen)
{
	struct notif **docs;
	size_t nd = family(a, n, &docs, NULL), before = 0;
	struct notif_effective was, now;
	if (all)
		notif_effective(docs, nd, all);
	zh[0] = en[0] = '\0';
	if (n->relation != REL_NONE) {
		/* The measure as it stood before n, and with n. */
		struct notif **prior = xcalloc(nd ? nd : 1, sizeof(*prior));
		for (size_t i = 0; i < nd; i++)
			if (docs[i] != n && notif_doc_order(docs[i], n) < 0)
				prior[before++] = docs[i];
		notif_effective(prior, before, &was);
		prior[before] = (struct notif *)n;
		notif_effective(prior, before + 1, &now);
		change_text(n, &was, &now, 1, zh, zhlen);
		change_text(n, &was, &now, 0, en, enlen);
		free(prior);
	}
	family_free(docs, nd, n);
}

static const char *const zh_fields[3] = {"title", "description", "products"};

static char **zh_slot(struct notif *n, int k)
{
	struct notif_text *t = &n->text[LANG_ZH];
	return k == 0 ? &t->title : k == 1 ? &t->description : &t->products;
}

json_t *archive_zh_texts(struct archive *a, const struct notif *n, const char *out[3], json_t **prov)
{
	json_t *tr = store_tr_get(a->store, n->symbol), *p = json_object();
	for (int k = 0; k < 3; k++) {
		const char *src = *zh_slot((struct notif *)n, k);
		json_t *t = json_object_get(tr, zh_fields[k]);
		const char *by = json_string_value(json_object_get(t, "by"));
		json_t *o = NULL;
		out[k] = src;
		/* A person's text first, then the source's Chinese, then a machine's. */
		if (t && (!src || (by && !strcmp(by, "human")))) {
			out[k] = json_string_value(json_object_get(t, "zh"));
			o = json_deep_copy(t);
			json_object_del(o, "zh");
			json_object_del(o, "src_sha");
		} else if (src) {
			o = json_pack("{s:s, s:b}", "by", "source", "reviewed", 1);
			if (n->source)
				json_object_set_new(o, "source", json_string(n->source));
		}
		if (o)
			json_object_set_new(p, zh_fields[k], o);
	}
	if (prov)
		*prov = p;
	else
		json_decref(p);
	return tr;
}

void archive_overlay_zh(struct archive *a, struct notif *n, json_t **prov)
{
	const char *zh[3];
	json_t *keep = archive_zh_texts(a, n, zh, prov);
	for (int k = 0; k < 3; k++) {
		char **slot = zh_slot(n, k);
		if (zh[k] != *slot) {
			char *v = zh[k] ? xstrdup(zh[k]) : NULL;
			free(*slot);
			*slot = v;
		}
	}
	json_decref(keep);
}

/* Indexes one document at its measure's current dates e (a shallow copy of n: only the inline dates differ). */
static int index_doc(struct archive *a, int64_t id, const struct notif *n, const struct notif_effective *e, char *err,
		     size_t errlen)
{
	struct cat_result cats;
	struct risk risk;
	struct notif cur = *n;
	/* Chinese from translations too: a Chinese search finds a notification that exists only in English. */
	const char *zh[3];
	json_t *keep = archive_zh_texts(a, n, zh, NULL);
	for (int k = 0; k < 3; k++)
		*zh_slot(&cur, k) = (char *)zh[k];
	archive_apply_effective(e, &cur);
	archive_classify(a, &cur, &cats, &risk);
	idx_doc_begin(a->idx);
	query_index_record(a->idx, &cur, &cats, &risk);
	/* The draft texts it links to, searchable as text:... (they would drown the notification's own words). */
	for (size_t i = 0; i < n->document_urls.n; i++) {
		char *text = store_draft_text(a->store, n->document_urls.items[i]);
		if (text)
			idx_doc_text(a->idx, text, 1, "XD");
		free(text);
	}
	json_decref(keep);
	return idx_doc_replace(a->idx, (unsigned)id, err, errlen);
}

/* Indexes n and, when it has a family, every document of its measure again: a base that arrives after its addenda
 * gives them their categories, and any document may move the measure's current dates. The family is loaded once. */
static int index_one(struct archive *a, int64_t id, const struct notif *n, char *err, size_t errlen)
{
	struct notif **docs;
	int64_t *ids;
	struct notif_effective e;
	int rc = 0;
	size_t nd = family(a, n, &docs, &ids);
	notif_effective(docs, nd, &e);
	for (size_t i = 0; i < nd && !rc; i++)
		rc = index_doc(a, docs[i] == n ? id : ids[i], docs[i], &e, err, errlen);
	family_free(docs, nd, n);
	free(ids);
	return rc;
}

struct sync_ctx {
	struct archive *a;
	int count;
	int rc;
	char *err;
	size_t errlen;
	int64_t total;
};

static int sync_one(void *arg, int64_t id, int64_t seq, struct notif *n)
{
	struct sync_ctx *c = arg;
	if ((c->rc = index_one(c->a, id, n, c->err, c->errlen))) {
		index_failed(c->a, c->err);
		return c->rc;
	}
	c->a->indexed_seq = seq;
	c->count++;
	if (++c->a->uncommitted >= INDEX_COMMIT_EVERY && (c->rc = index_commit(c->a, c->err, c->errlen)))
		return c->rc;
	if (c->a->progress && c->count % 1000 == 0)
		fprintf(c->a->progress, "\rindexing %d/%lld", c->count, (long long)c->total);
	return 0;
}

int archive_sync_index(struct archive *a, char *err, size_t errlen)
{
	struct sync_ctx c = {a, 0, 0, err, errlen, 0};
	int rc;
	if (a->mode != ARCHIVE_WRITE) {
		errf(err, errlen, "archive opened read-only");
		return -EPERM;
	}
	c.total = store_max_seq(a->store) - a->indexed_seq;
	rc = store_changes_since(a->store, a->indexed_seq, sync_one, &c, err, errlen);
	if (!rc && c.rc)
		rc = c.rc;
	if (a->progress && c.count >= 1000)
		fprintf(a->progress, "\rindexing %d/%d, done\n", c.count, c.count);
	if (rc)
		return rc;
	if (c.count && (rc = index_commit(a, err, errlen)))
		return rc;
	return c.count;
}

/* Follows the index feed (translations, draft texts: notifications to index again without a new version): indexes
 * the notifications listed since the index's position, whichever instance wrote them. Returns how many were indexed
 * (the caller commits), or an error. */
static int feed_follow(struct archive *a, char *err, size_t errlen)
{
	int total = 0, rc = 0;
	size_t batch;
	do {
		struct store_feed f;
		if ((rc = store_feed_since(a->store, a->feed_seq, 200, &f, err, errlen)))
			return rc;
		batch = f.symbols.n;
		for (size_t i = 0; !rc && i < batch; i++) {
			struct notif *n;
			int64_t id;
			/* Listed twice in the batch (three fields of one translation): indexed once, at its last row. */
			int later = 0;
			for (size_t k = i + 1; k < batch && !later; k++)
				later = !strcmp(f.symbols.items[k], f.symbols.items[i]);
			if (!later && !store_get(a->store, f.symbols.items[i], &n, &id, NULL, 0)) {
				/* Its own document only (at its measure's current dates): a text changes no other
				 * document of the family, and indexing is half the cost of translating
				 * (docs/performance.md). */
				struct notif_effective e;
				archive_effective(a, n, &e);
				if ((rc = index_doc(a, id, n, &e, err, errlen)))
					index_failed(a, err);
				else
					a->uncommitted++;
				notif_free(n);
				total++;
			}
			/* A notification gone from the store (a rebuilt one) has nothing to index. */
			if (!rc)
				a->feed_seq = f.fseq[i];
		}
		store_feed_release(&f);
	} while (!rc && batch == 200);
	return rc ? rc : total;
}

int archive_open(const char *dir, enum archive_mode mode, struct archive **out, char *err, size_t errlen)
{
	return archive_open_with(dir, mode, NULL, NULL, out, err, errlen);
}

int archive_open_with(const char *dir, enum archive_mode mode, const struct catalog *cats, const struct risk_config *risk,
		      struct archive **out, char *err, size_t errlen)
{
	struct archive *a = xcalloc(1, sizeof(*a));
	char *dbpath, *ixpath;
	int rc;
	*out = NULL;
	a->dir = xstrdup(dir);
	a->mode = mode;
	risk_config_default(&a->default_risk);
	archive_set_classifier(a, cats, risk);
	if (mode == ARCHIVE_WRITE && (rc = mkdir_p(dir, err, errlen))) {
		archive_free(a);
		return rc;
	}
	dbpath = store_url(dir);
	ixpath = path_in(dir, "index");
	if (mode == ARCHIVE_READ && !db_url_is_postgres(dbpath) && access(dbpath, F_OK)) {
		errf(err, errlen, "no archive in '%s' (import some notifications first, or set --data)", dir);
		rc = -ENOENT;
		goto fail;
	}
	if ((rc = store_open(dbpath, &a->store, err, errlen)))
		goto fail;
	/* The index follows the store: if it is behind (a crash between the two commits), catch up now. */
	rc = idx_open(ixpath, 1, &a->idx, err, errlen);
	if (rc == -EBUSY && mode == ARCHIVE_READ) {
		/* An import is running: search what is indexed so far. */
		rc = idx_open(ixpath, 0, &a->idx, err, errlen);
		if (!rc) {
			a->indexed_seq = a->committed_seq = index_seq(a->idx);
			goto done;
		}
	}
	if (rc)
		goto fail;
	a->indexed_seq = a->committed_seq = index_seq(a->idx);
	/* The index feed's position: a new index starts at the feed's end (the sync below indexes every notification as
	 * it is now); one made before the feed existed (schema 12) reads the feed from its start. */
	a->feed_seq = a->committed_feed = index_meta(a->idx, "feed_seq", a->indexed_seq ? 0 : store_feed_max(a->store));
	a->mode = ARCHIVE_WRITE;
	if (a->indexed_seq > store_max_seq(a->store)) {
		/* The store was replaced (a restore): the index is not derived from it. Rebuild. */
		rc = archive_reindex(a, err, errlen);
	} else if (a->indexed_seq < store_max_seq(a->store)) {
		rc = archive_sync_index(a, err, errlen);
		rc = rc < 0 ? rc : 0;
	}
	/* Translations and draft texts stored since the index last committed (by another instance, or before a crash
	 * between the two commits). */
	if (!rc && (rc = feed_follow(a, err, errlen)) > 0)
		rc = index_commit(a, err, errlen);
	a->mode = mode;
	if (rc)
		goto fail;
	if (mode == ARCHIVE_READ) {
		/* Readers do not hold the write lock. */
		idx_free(a->idx);
		a->idx = NULL;
		if ((rc = idx_open(ixpath, 0, &a->idx, err, errlen)))
			goto fail;
	}
done:
	free(dbpath);
	free(ixpath);
	*out = a;
	return 0;
fail:
	free(dbpath);
	free(ixpath);
	archive_free(a);
	return rc;
}

int archive_commit(struct archive *a, char *err, size_t errlen)
{
	if (a->mode != ARCHIVE_WRITE)
		return 0;
	if (a->indexed_seq < store_max_seq(a->store)) {
		/* Behind (another instance's imports, a failure): catch up first (archive_sync_index commits). */
		int rc = archive_sync_index(a, err, errlen);
		if (rc < 0)
			return rc;
	}
	int rc = feed_follow(a, err, errlen);
	if (rc < 0)
		return rc;
	if (!a->uncommitted)
		return 0;
	return index_commit(a, err, errlen);
}

int64_t archive_index_lag(struct archive *a, const char **why)
{
	int64_t lag = store_max_seq(a->store) - (a->mode == ARCHIVE_WRITE ? a->committed_seq : index_seq(a->idx));
	if (why)
		*why = a->index_error[0] ? a->index_error : NULL;
	return lag > 0 ? lag : 0;
}

int archive_open_reader(struct archive *a, struct archive **out, char *err, size_t errlen)
{
	struct archive *r = xcalloc(1, sizeof(*r));
	char *dbpath = store_url(a->dir), *ixpath = path_in(a->dir, "index");
	int rc;
	*out = NULL;
	r->dir = xstrdup(a->dir);
	r->mode = ARCHIVE_READ;
	risk_config_default(&r->default_risk);
	archive_set_classifier(r, a->cats, a->risk == &a->default_risk ? NULL : a->risk);
	if (!(rc = store_open(dbpath, &r->store, err, errlen))) {
		store_set_cache(r->store, 4u << 20); /* hits by id: the OS's page cache holds the rest */
		rc = idx_open(ixpath, 0, &r->idx, err, errlen);
	}
	free(dbpath);
	free(ixpath);
	if (rc) {
		archive_free(r);
		return rc;
	}
	r->indexed_seq = r->committed_seq = index_seq(r->idx);
	*out = r;
	return 0;
}

void archive_free(struct archive *a)
{
	if (!a)
		return;
	if (a->idx && a->mode == ARCHIVE_WRITE && a->uncommitted) {
		char err[ERRBUF_SIZE];
		if (index_commit(a, err, sizeof(err)))
			fprintf(stderr, "tbtwarn: %s (the next start catches up)\n", err);
	}
	idx_free(a->idx);
	store_free(a->store);
	risk_config_release(&a->default_risk);
	free(a->dir);
	free(a);
}

struct store *archive_store(struct archive *a)
{
	return a->store;
}

void archive_set_progress(struct archive *a, FILE *tty)
{
	a->progress = tty;
}

/* Import: records are buffered, written to SQLite in batches, then indexed. */
struct import_ctx {
	struct archive *a;
	struct import_stats *st;
	const char *sha;
	const char *source;
	const char *url;
	struct notif **batch;
	size_t n;
	int rc;
	char *err;
	size_t errlen;
	archive_reject_fn on_reject;
	void *arg;
};

/* Whether n has an English title, description or products text without the source's Chinese for it. */
static int needs_translation(const struct notif *n)
{
	const struct notif_text *en = &n->text[LANG_EN], *zh = &n->text[LANG_ZH];
	return (en->title && !zh->title) || (en->description && !zh->description) || (en->products && !zh->products);
}

static int flush_batch(struct import_ctx *c)
{
	struct archive *a = c->a;
	struct notif **finals = xcalloc(c->n, sizeof(*finals));
	enum store_outcome *outcome = xcalloc(c->n, sizeof(*outcome));
	int64_t *ids = xcalloc(c->n, sizeof(*ids));
	int rc;
	int64_t before = store_max_seq(a->store);
	if ((rc = store_begin(a->store, c->err, c->errlen)))
		goto out;
	for (size_t i = 0; i < c->n; i++) {
		enum store_outcome o;
		rc = store_upsert(a->store, c->batch[i], &o, &ids[i], &finals[i], c->err, c->errlen);
		/* The draft texts it links to join the crawler's queue in the same transaction. */
		const struct notif *f = finals[i] ? finals[i] : c->batch[i];
		for (size_t k = 0; !rc && o != STORE_UNCHANGED && k < f->document_urls.n; k++)
			rc = store_draft_add(a->store, f->document_urls.items[k], f->symbol, c->err, c->errlen);
		/* English without the source's Chinese waits for a translation, in the same transaction. */
		if (!rc && o != STORE_UNCHANGED && needs_translation(f))
			rc = store_tq_add(a->store, f->symbol, c->err, c->errlen);
		if (rc) {
			store_rollback(a->store);
			goto out;
		}
		outcome[i] = o;
	}
	if ((rc = store_commit(a->store, c->err, c->errlen)))
		goto out;
	/* Count only once the batch is durable. */
	for (size_t i = 0; i < c->n; i++) {
		if (outcome[i] == STORE_UNCHANGED)
			c->st->unchanged++;
	}
	/* Now the index: if this fails or we crash, the next open (or the next sync) catches up from the store. */
	if (a->indexed_seq != before) {
		/* The index is behind from an earlier failure: catch up from its position, this batch included. */
		rc = archive_sync_index(a, c->err, c->errlen);
		rc = rc < 0 ? rc : 0;
		goto out;
	}
	for (size_t i = 0; i < c->n; i++) {
		if (outcome[i] == STORE_UNCHANGED)
			continue;
		/* A merged record comes back as finals[i]; a new one was stored as it came. */
		if ((rc = index_one(a, ids[i], finals[i] ? finals[i] : c->batch[i], c->err, c->errlen))) {
			index_failed(a, c->err);
			goto out;
		}
		a->uncommitted++;
	}
	a->indexed_seq = store_max_seq(a->store);
	if (a->uncommitted >= INDEX_COMMIT_EVERY)
		rc = index_commit(a, c->err, c->errlen);
out:
	for (size_t i = 0; i < c->n; i++) {
		notif_free(c->batch[i]);
		notif_free(finals[i]);
	}
	c->n = 0;
	free(finals);
	free(outcome);
	free(ids);
	return rc;
}

/* Links from a source are stored only when they are plain web addresses: a javascript: or data: link, or one that
 * could break out of an HTML attribute or a markdown link, never reaches a page, a mail or a robot message. */
static void keep_web_links(struct notif *n)
{
	if (n->notification_url && !url_is_web(n->notification_url)) {
		free(n->notification_url);
		n->notification_url = NULL;
	}
	struct strv keep;
	strv_init(&keep);
	for (size_t i = 0; i < n->document_urls.n; i++)
		if (url_is_web(n->document_urls.items[i]))
			strv_push(&keep, n->document_urls.items[i]);
	strv_release(&n->document_urls);
	n->document_urls = keep;
}

static int on_record(void *arg, struct notif *n)
{
	struct import_ctx *c = arg;
	keep_web_links(n);
	free(n->raw_sha256);
	n->raw_sha256 = xstrdup(c->sha);
	if (c->url) {
		free(n->source_url);
		n->source_url = xstrdup(c->url);
	}
	if (c->source) {
		free(n->source);
		n->source = xstrdup(c->source);
	}
	char now[21];
	now_iso(now);
	free(n->fetched_at);
	n->fetched_at = xstrdup(now);
	c->batch[c->n++] = n;
	if (c->n == IMPORT_BATCH && (c->rc = flush_batch(c)))
		return c->rc;
	return 0;
}

static void on_reject(void *arg, const char *name, const char *where, const char *msg)
{
	struct import_ctx *c = arg;
	c->st->rejected++;
	if (c->on_reject)
		c->on_reject(c->arg, name, where, msg);
}

int archive_import(struct archive *a, const char *source, const char *name, const char *url, enum parse_format fmt,
		   const char *data, size_t len, struct import_stats *st, archive_reject_fn rej, void *arg, char *err,
		   size_t errlen)
{
	return archive_import_ex(a, source, name, url, fmt, data, len, NULL, NULL, st, rej, arg, err, errlen);
}

int archive_import_ex(struct archive *a, const char *source, const char *name, const char *url,
		      enum parse_format fmt, const char *data, size_t len, const char *html_xpath,
		      const char *html_encoding, struct import_stats *st, archive_reject_fn rej, void *arg,
		      char *err, size_t errlen)
{
	char sha[65];
	struct import_ctx c = {a, st, sha, source, url, NULL, 0, 0, err, errlen, rej, arg};
	struct parse_sink sink = {name, on_record, on_reject, &c, html_xpath, html_encoding};
	int rc;
	if (a->mode != ARCHIVE_WRITE) {
		errf(err, errlen, "archive opened read-only");
		return -EPERM;
	}
	sha256_hex(data, len, sha);
	c.batch = xcalloc(IMPORT_BATCH, sizeof(*c.batch));
	int64_t count_before = store_count(a->store);
	int64_t seq_before = store_max_seq(a->store);
	rc = parse_any(&sink, fmt, data, len);
	if (rc == -TBT_EPARSE)
		st->files_failed++;
	rc = c.rc;
	if (!rc && c.n)
		rc = flush_batch(&c);
	for (size_t i = 0; i < c.n; i++)
		notif_free(c.batch[i]);
	free(c.batch);
	if (rc)
		return rc;
	/* Added and updated, from the store itself: a record seen twice in one file counts once. */
	int64_t count_after = store_count(a->store);
	int64_t changed = store_max_seq(a->store) - seq_before;
	st->added += (unsigned)(count_after - count_before);
	st->updated += (unsigned)(changed - (count_after - count_before));
	/* Keep the raw document for audit and reprocessing, once per distinct content (its SHA-256 is the key). */
	{
		if ((rc = store_put_raw(a->store, sha, source, url ? url : name,
					fmt == FMT_EPING	 ? "eping"
					: fmt == FMT_WTO_TEXT ? "wto-text"
					: fmt == FMT_FEED     ? "feed"
					: fmt == FMT_HTML     ? "html"
							      : "auto",
					data, len, err,
					errlen)))
			return rc;
	}
	return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

/* Removes a directory tree; a missing one is fine. */
static int rm_rf(const char *path, char *err, size_t errlen)
{
	if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) && errno != ENOENT) {
		errf(err, errlen, "remove '%s': %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

int archive_reindex(struct archive *a, char *err, size_t errlen)
{
	char *ixpath = path_in(a->dir, "index"), *newpath = path_in(a->dir, "index.new");
	char *oldpath = path_in(a->dir, "index.old");
	struct idx *live = a->idx;
	int64_t live_seq = a->indexed_seq, live_committed = a->committed_seq;
	int rc;
	/* Build beside the live index, then swap: searches keep working, and a crash leaves the old index. */
	if ((rc = rm_rf(newpath, err, errlen)) || (rc = idx_open(newpath, 1, &a->idx, err, errlen))) {
		a->idx = live;
		goto out;
	}
	int64_t live_feed = a->feed_seq, live_committed_feed = a->committed_feed;
	a->indexed_seq = a->committed_seq = 0;
	a->feed_seq = a->committed_feed = store_feed_max(a->store); /* the rebuild indexes everything as it is now */
	a->uncommitted = 0;
	rc = archive_sync_index(a, err, errlen);
	if (rc >= 0)
		rc = index_commit(a, err, errlen);
	idx_free(a->idx);
	a->idx = live;
	if (rc < 0) {
		a->indexed_seq = live_seq;
		a->committed_seq = live_committed;
		a->feed_seq = live_feed;
		a->committed_feed = live_committed_feed;
		goto out;
	}
	int64_t new_seq = a->indexed_seq, new_feed = a->feed_seq;
	idx_free(live);
	a->idx = NULL;
	if ((rc = rm_rf(oldpath, err, errlen)))
		goto reopen;
	if (rename(ixpath, oldpath) && errno != ENOENT) {
		errf(err, errlen, "move old index aside: %s", strerror(errno));
		rc = -errno;
		goto reopen;
	}
	if (rename(newpath, ixpath)) {
		errf(err, errlen, "move new index into place: %s", strerror(errno));
		rc = -errno;
		rename(oldpath, ixpath);
		goto reopen;
	}
	rm_rf(oldpath, NULL, 0);
	a->indexed_seq = a->committed_seq = new_seq;
	a->feed_seq = a->committed_feed = new_feed;
reopen:
	{
		char sub[ERRBUF_SIZE];
		int r2 = idx_open(ixpath, a->mode == ARCHIVE_WRITE, &a->idx, sub, sizeof(sub));
		if (r2 && !rc) {
			errf(err, errlen, "%s", sub);
			rc = r2;
		}
	}
out:
	free(ixpath);
	free(newpath);
	free(oldpath);
	return rc < 0 ? rc : 0;
}

json_t *archive_hit_json(const struct notif *n)
{
	json_t *h = json_object(), *hs = json_array(), *ics = json_array();
	json_object_set_new(h, "symbol", json_string(n->symbol));
	json_object_set_new(h, "type", json_string(n->type == NT_SPS ? "SPS" : "TBT"));
	json_object_set_new(h, "kind", json_string(notif_rel_name(n->relation)));
	json_object_set_new(h, "member", json_string(n->member));
	json_object_set_new(h, "member_name", n->text[LANG_EN].member_name ? json_string(n->text[LANG_EN].member_name)
									 : json_null());
	json_object_set_new(h, "member_name_zh", n->text[LANG_ZH].member_name ? json_string(n->text[LANG_ZH].member_name)
									       : json_null());
	json_object_set_new(h, "title", json_string(notif_title(n)));
	json_object_set_new(h, "title_zh", n->text[LANG_ZH].title ? json_string(n->text[LANG_ZH].title) : json_null());
	json_object_set_new(h, "distributed",
			    n->dates[D_DISTRIBUTED].iso[0] ? json_string(n->dates[D_DISTRIBUTED].iso) : json_null());
	json_object_set_new(h, "comment_deadline",
			    n->dates[D_COMMENTS].iso[0] ? json_string(n->dates[D_COMMENTS].iso) : json_null());
	for (size_t i = 0; i < n->hs.n; i++)
		json_array_append_new(hs, json_string(n->hs.items[i]));
	for (size_t i = 0; i < n->ics.n; i++)
		json_array_append_new(ics, json_string(n->ics.items[i]));
	json_object_set_new(h, "hs", hs);
	json_object_set_new(h, "ics", ics);
	return h;
}

void archive_set_summary(struct archive *a, json_t *obj, const struct notif *n, const json_t *cat_ids,
			 const char *today)
{
	struct strv names;
	struct buf b;
	size_t i;
	json_t *c;
	strv_init(&names);
	json_array_foreach(cat_ids, i, c) {
		const char *id = json_is_string(c) ? json_string_value(c) : json_string_value(json_object_get(c, "id"));
		const struct category *cat = id ? catalog_find(a->cats, id) : NULL;
		if (cat)
			strv_push(&names, cat->name_zh);
	}
	buf_init(&b, BUF_NOMAX);
	summary_zh(n, &names, today, &b);
	json_object_set_new(obj, "summary_zh", json_string(b.s));
	buf_release(&b);
	strv_release(&names);
}

int archive_search(struct archive *a, const char *query, const struct search_opts *o, json_t **out, char *err,
		   size_t errlen)
{
	char today[11];
	today_iso(today);
	struct idx_query *q = idx_query_new();
	struct idx_results *r = NULL;
	int rc;
	*out = NULL;
	if ((rc = query_parse_ex(query, a->cats, q, err, errlen)))
		goto done;
	idx_query_sort_date(q, o->by_date);
	idx_query_facets(q, o->facets);
	idx_query_facet_sample(q, o->facet_sample);
	/* A reader whose revision the writer overwrote meanwhile reopens (in idx_search) and asks again. */
	for (int tries = 0; (rc = idx_search(a->idx, q, o->offset, o->limit, &r, err, errlen)) == -EAGAIN && tries < 3; tries++)
		;
	if (rc)
		goto done;
	json_t *res = json_object(), *hits = json_array();
	json_object_set_new(res, "total", json_integer(idx_results_total(r)));
	json_object_set_new(res, "exact", json_boolean(idx_results_exact(r)));
	for (size_t i = 0; i < idx_results_count(r); i++) {
		struct notif *n;
		if ((rc = store_get_by_id(a->store, idx_results_docid(r, i), &n, err, errlen))) {
			if (rc == -ENOENT)
				continue; /* removed from the store since it was indexed */
			json_decref(hits);
			json_decref(res);
			goto done;
		}
		struct notif_effective e;
		archive_effective(a, n, &e);
		archive_apply_effective(&e, n);
		json_t *prov;
		archive_overlay_zh(a, n, &prov);
		json_t *h = archive_hit_json(n);
		/* Who wrote the Chinese title: source, machine or human (a reader is told a machine's). */
		const char *tby = json_string_value(json_object_get(json_object_get(prov, "title"), "by"));
		json_object_set_new(h, "title_zh_by", tby ? json_string(tby) : json_null());
		json_decref(prov);
		/* Categories and risk as indexed: classifying every hit again would double the cost of a page. */
		json_t *ids = json_array();
		for (const char *p = idx_results_value(r, i, IDX_SLOT_CATEGORY); *p;) {
			size_t l = strcspn(p, "\t");
			json_array_append_new(ids, json_stringn(p, l));
			p += l;
			if (*p)
				p++;
		}
		json_object_set_new(h, "categories", ids);
		archive_set_summary(a, h, n, ids, today);
		const char *risk = idx_results_value(r, i, IDX_SLOT_RISK);
		json_object_set_new(h, "risk", *risk ? json_string(risk) : json_null());
		json_object_set_new(h, "score", json_real(o->by_date ? 0.0 : idx_results_score(r, i)));
		json_array_append_new(hits, h);
		notif_free(n);
	}
	rc = 0;
	json_object_set_new(res, "hits", hits);
	if (o->facets) {
		static const struct {
			const char *name;
			enum idx_slot slot;
		} fs[] = {{"member", IDX_SLOT_MEMBER}, {"type", IDX_SLOT_TYPE},	      {"year", IDX_SLOT_YEAR},
			  {"kind", IDX_SLOT_KIND},     {"category", IDX_SLOT_CATEGORY}, {"risk", IDX_SLOT_RISK}};
		json_t *facets = json_object();
		for (size_t k = 0; k < sizeof(fs) / sizeof(fs[0]); k++) {
			const char *const *vals;
			const unsigned *counts;
			size_t n = idx_results_facet(r, fs[k].slot, &vals, &counts);
			json_t *f = json_object();
			for (size_t i = 0; i < n; i++)
				json_object_set_new(f, vals[i], json_integer(counts[i]));
			json_object_set_new(facets, fs[k].name, f);
		}
		json_object_set_new(res, "facets", facets);
	}
	*out = res;
done:
	idx_results_free(r);
	idx_query_free(q);
	return rc;
}

static json_t *effective_json(const struct notif_effective *e)
{
	json_t *o = json_object();
	for (int k = 0; k < D_N; k++) {
		json_t *d = json_null();
		if (e->d[k].iso[0]) {
			d = json_object();
			json_object_set_new(d, "date", json_string(e->d[k].iso));
			json_object_set_new(d, "by", json_string(e->d[k].by));
		}
		json_object_set_new(o, notif_date_name((enum notif_date)k), d);
	}
	json_t *w = json_null();
	if (e->withdrawn_by[0]) {
		w = json_object();
		json_object_set_new(w, "by", json_string(e->withdrawn_by));
	}
	json_object_set_new(o, "withdrawn", w);
	return o;
}

int archive_show(struct archive *a, const char *symbol, json_t **out, char *err, size_t errlen)
{
	struct notif *n;
	struct strv rel;
	int rc;
	*out = NULL;
	if ((rc = store_get(a->store, symbol, &n, NULL, err, errlen)))
		return rc;
	json_t *prov;
	archive_overlay_zh(a, n, &prov);
	json_t *j = notif_to_json(n, 1), *related = json_array();
	json_object_set_new(j, "translations", json_pack("{s:o}", "zh", prov));
	json_object_set_new(j, "translation_history", store_tr_history(a->store, n->symbol));
	strv_init(&rel);
	if ((rc = store_related(a->store, n->root_symbol, &rel, err, errlen))) {
		strv_release(&rel);
		json_decref(j);
		notif_free(n);
		return rc;
	}
	for (size_t i = 0; i < rel.n; i++) {
		struct notif *r;
		if (!strcmp(rel.items[i], n->symbol) || store_get(a->store, rel.items[i], &r, NULL, err, errlen))
			continue;
		json_t *h = archive_hit_json(r);
		json_object_set_new(h, "relation", json_string(!strcmp(r->symbol, n->root_symbol) ? "base"
											       : notif_rel_name(r->relation)));
		json_array_append_new(related, h);
		notif_free(r);
	}
	strv_release(&rel);
	json_object_set_new(j, "related", related);
	json_object_set_new(j, "history", store_history(a->store, n->symbol));
	json_t *drafts = json_array();
	for (size_t i = 0; i < n->document_urls.n; i++) {
		json_t *d = store_draft_json(a->store, n->document_urls.items[i]);
		if (d) {
			json_object_del(d, "symbol");
			json_array_append_new(drafts, d);
		}
	}
	json_object_set_new(j, "draft_texts", drafts);
	/* What each document said stays under "dates"; the measure's current dates, with the document each comes
	 * from, under "effective_dates". The risk speaks of the current ones. */
	struct notif_effective e;
	archive_effective(a, n, &e);
	json_object_set_new(j, "effective_dates", effective_json(&e));
	struct cat_result cats;
	struct risk risk;
	archive_apply_effective(&e, n);
	archive_classify(a, n, &cats, &risk);
	json_object_set_new(j, "categories", classify_json(&cats));
	json_object_set_new(j, "risk", risk_json(&risk));
	char today[11];
	today_iso(today);
	archive_set_summary(a, j, n, json_object_get(j, "categories"), today);
	json_t *objs = json_array();
	for (size_t i = 0; i < n->objectives.n; i++) {
		const char *o = objective_zh(n->objectives.items[i]);
		json_array_append_new(objs, json_string(o ? o : n->objectives.items[i]));
	}
	json_object_set_new(j, "objectives_zh", objs);
	/* Dates given as English prose, in Chinese where we know the wording. */
	json_t *dates = json_object_get(j, "dates"), *d;
	const char *k;
	json_object_foreach(dates, k, d) {
		char zh[128];
		const char *en = json_string_value(json_object_get(d, "text"));
		if (en && !json_string_value(json_object_get(d, "text_zh")) && date_prose_zh(en, zh, sizeof(zh)))
			json_object_set_new(d, "text_zh", json_string(zh));
	}
	notif_free(n);
	*out = j;
	return 0;
}

int archive_drafts_due(struct archive *a, int limit, struct strv *urls, char *err, size_t errlen)
{
	return store_drafts_due(a->store, now_epoch(), limit, urls, err, errlen);
}

json_t *archive_draft_counts(struct archive *a)
{
	return store_draft_counts(a->store);
}

/* Whether a body that is not PDF or DOCX is an HTML page: by its type, else by its first tag. */
static int looks_html(const char *ctype, const char *data, size_t len)
{
	if (ctype && (strcasestr_ascii(ctype, "html") || strcasestr_ascii(ctype, "xml")))
		return 1;
	char head[1025];
	size_t n = len < 1024 ? len : 1024;
	memcpy(head, data, n);
	head[n] = '\0';
	for (char *p = head; p < head + n; p++)
		if (!*p)
			*p = ' ';
	return strcasestr_ascii(head, "<html") || strcasestr_ascii(head, "<!doctype html") ||
	       strcasestr_ascii(head, "<body");
}

/* The text of a fetched draft (PDF, DOCX, HTML or plain text), white space folded line by line and cut at
 * DRAFT_TEXT_MAX on a character boundary. Returns 0 with *fmt set, or -TBT_EPARSE with why. */
static int draft_text(const char *ctype, const char *data, size_t len, struct buf *out, const char **fmt, char *why,
		      size_t whylen)
{
	struct buf raw;
	int rc = 0;
	buf_init(&raw, BUF_NOMAX);
	enum doc_kind k = doc_kind_of(data, len);
	if (k != DOC_NONE) {
		*fmt = k == DOC_PDF ? "pdf" : "docx";
		rc = doc_to_text(data, len, &raw, why, whylen);
	} else if (looks_html(ctype, data, len)) {
		*fmt = "html";
		rc = html_page_text(data, len, &raw, why, whylen);
	} else if ((!ctype || starts_with_ci(ctype, "text/plain")) && utf8_valid(data, len, NULL) &&
		   !memchr(data, '\0', len)) {
		*fmt = "text";
		buf_add(&raw, data, len);
	} else {
		errf(why, whylen, "not a PDF, DOCX, HTML or text document (Content-Type: %s)", ctype ? ctype : "none");
		rc = -TBT_EPARSE;
	}
	if (!rc) {
		/* One line per line, each with its spaces folded; blank lines dropped. */
		for (const char *p = raw.s, *e; p < raw.s + raw.len && out->len < DRAFT_TEXT_MAX; p = e + 1) {
			e = memchr(p, '\n', (size_t)(raw.s + raw.len - p));
			if (!e)
				e = raw.s + raw.len;
			char *line = xstrndup(p, (size_t)(e - p)), *folded = text_fold_space(line);
			if (*folded) {
				buf_addstr(out, folded);
				buf_addch(out, '\n');
			}
			free(line);
			free(folded);
		}
		if (out->len > DRAFT_TEXT_MAX) {
			size_t cut = DRAFT_TEXT_MAX;
			while (cut && ((unsigned char)out->s[cut] & 0xC0) == 0x80)
				cut--;
			out->s[cut] = '\0';
			out->len = cut;
		}
		if (!out->len) {
			errf(why, whylen, "the document holds no text (a scanned image?)");
			rc = -TBT_EPARSE;
		}
	}
	buf_release(&raw);
	return rc;
}

/* The notifications that link a fetched draft are in the index feed: indexed again and committed. */
static int index_draft(struct archive *a, char *err, size_t errlen)
{
	int rc = feed_follow(a, err, errlen);
	return rc < 0 ? rc : index_commit(a, err, errlen);
}

int archive_draft_fetched(struct archive *a, const char *url, const char *ctype, const char *data, size_t len,
			  char *err, size_t errlen)
{
	struct buf text;
	char why[ERRBUF_SIZE] = "", sha[65];
	const char *fmt = NULL;
	int rc;
	if (a->mode != ARCHIVE_WRITE) {
		errf(err, errlen, "the archive is open read-only");
		return -EROFS;
	}
	sha256_hex(data, len, sha);
	buf_init(&text, BUF_NOMAX);
	if (draft_text(ctype, data, len, &text, &fmt, why, sizeof(why)))
		rc = store_draft_done(a->store, url, "skipped", why, fmt, (long long)len, sha, NULL, 0, err, errlen);
	else
		rc = store_draft_done(a->store, url, "done", why[0] ? why : NULL, fmt, (long long)len, sha, text.s,
				      text.len, err, errlen);
	buf_release(&text);
	if (!rc)
		rc = index_draft(a, err, errlen);
	return rc;
}

int archive_draft_failed(struct archive *a, const char *url, const char *why, int final, char *err, size_t errlen)
{
	json_t *d = store_draft_json(a->store, url);
	long long attempts = d ? json_integer_value(json_object_get(d, "attempts")) : 0;
	json_decref(d);
	/* An hour, then four, then sixteen; after DRAFT_TRIES failures the link is taken as dead. */
	if (attempts + 1 >= DRAFT_TRIES)
		final = 1;
	double next = now_epoch() + 3600.0 * (double)(1LL << (2 * (attempts < 10 ? attempts : 10)));
	return store_draft_failed(a->store, url, final ? "failed" : "pending", why, next, err, errlen);
}

json_t *archive_draft_json(struct archive *a, const char *url)
{
	return store_draft_json(a->store, url);
}

int archive_translation_put(struct archive *a, const struct tr_row *t, char *err, size_t errlen)
{
	return archive_translation_put_ex(a, t, 1, err, errlen);
}

int archive_translation_put_ex(struct archive *a, const struct tr_row *t, int reindex, char *err, size_t errlen)
{
	struct notif *n;
	int64_t id;
	int rc, k;
	for (k = 0; k < 3 && strcmp(t->field, zh_fields[k]); k++)
		;
	if (k == 3) {
		errf(err, errlen, "field: '%s' is not title, description or products", t->field);
		return -EINVAL;
	}
	if (!t->zh || !*t->zh || !utf8_valid(t->zh, strlen(t->zh), NULL) || strlen(t->zh) > 64 * 1024) {
		errf(err, errlen, "zh: the text is empty, not UTF-8, or longer than 64 KiB");
		return -EINVAL;
	}
	if (a->mode != ARCHIVE_WRITE) {
		errf(err, errlen, "the archive is open read-only");
		return -EROFS;
	}
	if ((rc = store_get(a->store, t->symbol, &n, &id, err, errlen)))
		return rc;
	notif_free(n);
	/* The text joins the index feed with it: every instance's index follows (at its next archive_commit, once a
	 * second in the service). A person's text is indexed and committed now, to be found at once. */
	if ((rc = store_tr_put(a->store, t, err, errlen)) == 0 && reindex == 1 && (rc = feed_follow(a, err, errlen)) >= 0)
		rc = index_commit(a, err, errlen);
	return rc;
}
