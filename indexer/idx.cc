// idx.cc: the Xapian shim. Every entry point catches every exception, so C callers only ever see error codes.
#include "idx.h"

#include <xapian.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#define TBT_EIDX 1003

struct idx {
	Xapian::Database *db = nullptr;          // the reader (or the writer, seen as a reader)
	Xapian::WritableDatabase *wdb = nullptr; // only when writable
	Xapian::TermGenerator tg;
	Xapian::Stem stem{"english"};
	Xapian::Document doc;
	std::string path;
	// Every document carries its distribution month as a term (an index made since they were introduced): a
	// date-sorted search can then read the newest months first instead of sorting every match.
	bool month_terms = false;
	// Every document carries IDX_SLOT_FACETS (an index made since it was introduced): facets read one value.
	bool facet_slot = false;
};

/* The benchmarks' switches (docs/performance.md): read from the environment once, at the first search (whichever
 * thread), unless idx_set_switch said first. */
static std::atomic<int> switches[3] = {{-1}, {-1}, {-1}};
static const char *const switch_env[3] = {"TBTWARN_NO_FACET_SLOT", "TBTWARN_NO_MONTH_SORT", "TBTWARN_NO_MONTH_PLAN"};

static bool switch_on(enum idx_switch s)
{
	int v = switches[s].load(std::memory_order_relaxed);
	if (v < 0) {
		int expected = -1;
		switches[s].compare_exchange_strong(expected, std::getenv(switch_env[s]) != nullptr ? 1 : 0);
		v = switches[s].load(std::memory_order_relaxed);
	}
	return v == 1;
}

extern "C" void idx_set_switch(enum idx_switch s, int on)
{
	switches[s].store(on ? 1 : 0, std::memory_order_relaxed);
}

static const char MONTH_FLAG[] = "tbtwarn.month_terms";
static const char FACET_FLAG[] = "tbtwarn.facet_slot";

struct qgroup {
	std::vector<std::string> terms;
	struct range {
		enum idx_slot slot;
		std::string lo, hi;
		bool has_lo, has_hi;
	};
	std::vector<range> ranges;
};

struct idx_query {
	// The built query, kept when it does not depend on the database's terms (no wildcard), so that a stored
	// subscription is parsed once, not once per notification it is checked against.
	mutable std::unique_ptr<Xapian::Query> built;
	mutable const idx *built_for = nullptr;
	std::string text;
	std::map<int, qgroup> groups;
	std::vector<std::string> negated;
	bool by_date = false;
	bool facets = false;
	unsigned facet_sample = 0;
};

// The n most frequent values, the most frequent first and equal counts by value, as Xapian's ValueCountMatchSpy
// orders them.
static std::vector<std::pair<std::string, unsigned>> top_n(const std::unordered_map<std::string, unsigned> &counts,
							    size_t n)
{
	std::vector<std::pair<std::string, unsigned>> all(counts.begin(), counts.end());
	std::sort(all.begin(), all.end(), [](const auto &a, const auto &b) {
		return a.second != b.second ? a.second > b.second : a.first < b.first;
	});
	if (all.size() > n)
		all.resize(n);
	return all;
}

// Adds n to the count of each non-empty piece of v[from, to) between sep characters.
static void count_pieces(std::unordered_map<std::string, unsigned> &counts, const std::string &v, size_t from, size_t to,
			 char sep, unsigned n)
{
	to = std::min(to, v.size());
	for (size_t a = from; a < to;) {
		size_t b = v.find(sep, a);
		if (b == std::string::npos || b > to)
			b = to;
		if (b > a)
			counts[v.substr(a, b - a)] += n;
		a = b + 1;
	}
}

// Counts a value slot that holds several tab-separated values (a notification's categories), each once.
class MultiValueCountSpy : public Xapian::MatchSpy {
      public:
	explicit MultiValueCountSpy(Xapian::valueno slot) : slot_(slot) {}
	void operator()(const Xapian::Document &doc, double) override
	{
		count_pieces(counts_, doc.get_value(slot_), 0, std::string::npos, '\t', 1);
	}
	std::vector<std::pair<std::string, unsigned>> top(size_t n) const
	{
		return top_n(counts_, n);
	}

      private:
	Xapian::valueno slot_;
	std::unordered_map<std::string, unsigned> counts_;
};

// Member, type, year, kind, risk and categories counted from IDX_SLOT_FACETS: one value read per match instead of
// six (the six spies were two thirds of an average search's time). Orders as Xapian's ValueCountMatchSpy does.
class FacetSpy : public Xapian::MatchSpy {
      public:
	enum { N = 6, CATS = 5 };
	// Per match: the combined value counted whole (one read, one hash); split into the six facets once at the end,
	// for each distinct combination, which are far fewer than the matches.
	void operator()(const Xapian::Document &doc, double) override
	{
		total_++;
		combined_[doc.get_value(IDX_SLOT_FACETS)]++;
	}
	Xapian::doccount total() const
	{
		return total_;
	}
	std::vector<std::pair<std::string, unsigned>> top(int f, size_t n)
	{
		if (!split_)
			split();
		return top_n(counts_[f], n);
	}

      private:
	void split()
	{
		split_ = true;
		for (const auto &kv : combined_) {
			const std::string &v = kv.first;
			size_t start = 0;
			for (int f = 0; f < N && start <= v.size(); f++) {
				size_t end = f == CATS ? v.size() : std::min(v.find('\x1f', start), v.size());
				count_pieces(counts_[f], v, start, end, f == CATS ? '\t' : '\x1f', kv.second);
				start = end + 1;
			}
		}
	}
	Xapian::doccount total_ = 0;
	bool split_ = false;
	std::unordered_map<std::string, unsigned> combined_, counts_[N];
};

struct idx_results {
	unsigned total = 0;
	bool exact = true; // the total (and the facet counts) are exact, not estimates
	std::vector<unsigned> docids;
	std::vector<double> scores;
	std::vector<std::string> cat_values, risk_values;
	struct facet {
		std::vector<std::string> values;
		std::vector<const char *> ptrs;
		std::vector<unsigned> counts;
	};
	facet facets[IDX_SLOT_N];
};

static void set_err(char *err, size_t errlen, const char *what, const std::string &msg)
{
	if (err && errlen)
		std::snprintf(err, errlen, "%s: %s", what, msg.c_str());
}

// The body of every entry point runs inside this, so that no exception reaches C.
template <typename F> static int guarded(const char *what, char *err, size_t errlen, F f)
{
	try {
		return f();
	} catch (const Xapian::DatabaseLockError &e) {
		set_err(err, errlen, what, "index is locked by another writer: " + e.get_msg());
		return -EBUSY;
	} catch (const Xapian::DatabaseModifiedError &e) {
		// A reader's revision was overwritten by the writer's later commits: reopen and ask again.
		set_err(err, errlen, what, e.get_msg());
		return -EAGAIN;
	} catch (const Xapian::QueryParserError &e) {
		set_err(err, errlen, what, e.get_msg());
		return -EINVAL;
	} catch (const Xapian::Error &e) {
		set_err(err, errlen, what, e.get_description());
		return -TBT_EIDX;
	} catch (const std::bad_alloc &) {
		std::fputs("tbtwarn: out of memory in the index\n", stderr);
		std::abort();
	} catch (const std::exception &e) {
		set_err(err, errlen, what, e.what());
		return -TBT_EIDX;
	} catch (...) {
		set_err(err, errlen, what, "unknown error");
		return -TBT_EIDX;
	}
}

extern "C" int idx_open(const char *path, int writable, struct idx **out, char *err, size_t errlen)
{
	*out = nullptr;
	return guarded("open index", err, errlen, [&]() {
		std::unique_ptr<idx> x(new idx);
		x->path = path;
		if (writable) {
			x->wdb = new Xapian::WritableDatabase(path, Xapian::DB_CREATE_OR_OPEN);
			x->db = x->wdb;
			x->tg.set_database(*x->wdb);
			// A new index: every document it will hold has its month term and facet value (the flags are committed
			// with the first documents).
			if (x->wdb->get_doccount() == 0)
				for (const char *flag : {MONTH_FLAG, FACET_FLAG})
					if (x->wdb->get_metadata(flag).empty())
						x->wdb->set_metadata(flag, "1");
		} else {
			x->db = new Xapian::Database(path);
		}
		x->month_terms = x->db->get_metadata(MONTH_FLAG) == "1";
		x->facet_slot = x->db->get_metadata(FACET_FLAG) == "1";
		x->tg.set_stemmer(x->stem);
		x->tg.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
		x->tg.set_flags(Xapian::TermGenerator::FLAG_CJK_NGRAM);
		*out = x.release();
		return 0;
	});
}

extern "C" int idx_open_memory(struct idx **out, char *err, size_t errlen)
{
	*out = nullptr;
	return guarded("open index in memory", err, errlen, [&]() {
		std::unique_ptr<idx> x(new idx);
		x->wdb = new Xapian::WritableDatabase(std::string(), Xapian::DB_BACKEND_INMEMORY);
		x->db = x->wdb;
		x->tg.set_database(*x->wdb);
		x->tg.set_stemmer(x->stem);
		x->tg.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
		x->tg.set_flags(Xapian::TermGenerator::FLAG_CJK_NGRAM);
		*out = x.release();
		return 0;
	});
}

extern "C" void idx_stem(struct idx *x, const char *word, char *out, size_t outlen)
{
	if (!outlen)
		return;
	out[0] = '\0';
	guarded("stem", nullptr, 0, [&]() {
		std::string s = x->stem(word);
		std::snprintf(out, outlen, "%s", s.c_str());
		return 0;
	});
}

extern "C" void idx_free(struct idx *x)
{
	if (!x)
		return;
	try {
		if (x->wdb)
			x->wdb->close();
		delete x->db;
	} catch (...) {
		// Closing only fails when the database is already unusable; nothing more can be done.
	}
	delete x;
}

extern "C" unsigned idx_doccount(struct idx *x)
{
	unsigned n = 0;
	guarded("count", nullptr, 0, [&]() {
		n = x->db->get_doccount();
		return 0;
	});
	return n;
}

extern "C" int idx_get_meta(struct idx *x, const char *key, char **value, char *err, size_t errlen)
{
	*value = nullptr;
	return guarded("read index metadata", err, errlen, [&]() {
		std::string v = x->db->get_metadata(key);
		*value = strdup(v.c_str());
		if (!*value)
			throw std::bad_alloc();
		return 0;
	});
}

extern "C" int idx_set_meta(struct idx *x, const char *key, const char *value, char *err, size_t errlen)
{
	return guarded("write index metadata", err, errlen, [&]() {
		if (!x->wdb)
			throw Xapian::InvalidOperationError("index opened read-only");
		x->wdb->set_metadata(key, value);
		return 0;
	});
}

extern "C" int idx_commit(struct idx *x, char *err, size_t errlen)
{
	return guarded("commit index", err, errlen, [&]() {
		if (x->wdb)
			x->wdb->commit();
		return 0;
	});
}

extern "C" void idx_doc_begin(struct idx *x)
{
	guarded("begin document", nullptr, 0, [&]() {
		x->doc = Xapian::Document();
		x->tg.set_document(x->doc);
		return 0;
	});
}

extern "C" void idx_doc_text(struct idx *x, const char *text, unsigned weight, const char *prefix)
{
	guarded("index text", nullptr, 0, [&]() {
		x->tg.index_text(text, weight ? weight : 1, prefix ? prefix : "");
		x->tg.increase_termpos();
		return 0;
	});
}

extern "C" void idx_doc_term(struct idx *x, const char *term)
{
	guarded("add term", nullptr, 0, [&]() {
		// Xapian refuses terms over 245 bytes; such a code would be junk anyway.
		if (std::strlen(term) < 240)
			x->doc.add_boolean_term(term);
		return 0;
	});
}

extern "C" void idx_doc_value(struct idx *x, enum idx_slot slot, const char *value)
{
	guarded("add value", nullptr, 0, [&]() {
		x->doc.add_value(slot, value);
		return 0;
	});
}

extern "C" int idx_doc_replace(struct idx *x, unsigned docid, char *err, size_t errlen)
{
	return guarded("index document", err, errlen, [&]() {
		if (!x->wdb)
			throw Xapian::InvalidOperationError("index opened read-only");
		// A brand-new document takes the next id: adding skips the look-up of an old version.
		if (docid == x->wdb->get_lastdocid() + 1)
			x->wdb->add_document(x->doc);
		else
			x->wdb->replace_document(docid, x->doc);
		return 0;
	});
}

extern "C" int idx_delete(struct idx *x, unsigned docid, char *err, size_t errlen)
{
	return guarded("delete document", err, errlen, [&]() {
		try {
			x->wdb->delete_document(docid);
		} catch (const Xapian::DocNotFoundError &) {
		}
		return 0;
	});
}

extern "C" struct idx_query *idx_query_new(void)
{
	return new idx_query;
}

extern "C" void idx_query_free(struct idx_query *q)
{
	delete q;
}

extern "C" void idx_query_text(struct idx_query *q, const char *text)
{
	q->built.reset();
	if (!q->text.empty())
		q->text += ' ';
	q->text += text;
}

extern "C" void idx_query_filter(struct idx_query *q, int group, const char *term, int negate)
{
	q->built.reset();
	if (negate)
		q->negated.push_back(term);
	else
		q->groups[group].terms.push_back(term);
}

extern "C" void idx_query_range(struct idx_query *q, int group, enum idx_slot slot, const char *lo, const char *hi)
{
	q->built.reset();
	qgroup::range r{slot, lo ? lo : "", hi ? hi : "", lo != nullptr, hi != nullptr};
	q->groups[group].ranges.push_back(r);
}

extern "C" void idx_query_sort_date(struct idx_query *q, int by_date)
{
	q->by_date = by_date != 0;
}

extern "C" void idx_query_facet_sample(struct idx_query *q, unsigned sample)
{
	q->facet_sample = sample;
}

extern "C" int idx_results_exact(const struct idx_results *r)
{
	return r->exact;
}

extern "C" void idx_query_facets(struct idx_query *q, int on)
{
	q->facets = on != 0;
}

// Every document: a query of our own, not a copy of the library's static Query::MatchAll, whose reference count
// is not atomic and would be raced by the web's search threads (ThreadSanitizer saw it; the service crashed).
static Xapian::Query match_all()
{
	return Xapian::Query(std::string());
}

static Xapian::Query build_query(struct idx *x, const idx_query *q)
{
	Xapian::Query text_q = match_all();
	if (q->text.find_first_not_of(" \t\n") != std::string::npos) {
		Xapian::QueryParser qp;
		qp.set_stemmer(x->stem);
		qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
		qp.set_default_op(Xapian::Query::OP_AND);
		qp.set_database(*x->db);
		qp.add_prefix("title", "S");
		qp.add_prefix("text", "XD"); // inside the draft texts a notification links to
		unsigned flags = Xapian::QueryParser::FLAG_PHRASE | Xapian::QueryParser::FLAG_BOOLEAN |
				 Xapian::QueryParser::FLAG_LOVEHATE | Xapian::QueryParser::FLAG_WILDCARD |
				 Xapian::QueryParser::FLAG_PURE_NOT | Xapian::QueryParser::FLAG_CJK_NGRAM;
		try {
			text_q = qp.parse_query(q->text, flags);
		} catch (const Xapian::QueryParserError &) {
			// Stray operators ("AND" at the end, an unbalanced quote): read the words as words.
			text_q = qp.parse_query(q->text, Xapian::QueryParser::FLAG_CJK_NGRAM);
		}
		if (text_q.empty())
			text_q = match_all();
	}
	std::vector<Xapian::Query> filters;
	for (const auto &g : q->groups) {
		std::vector<Xapian::Query> alts;
		for (const auto &t : g.second.terms)
			alts.emplace_back(t);
		for (const auto &r : g.second.ranges) {
			if (r.has_lo && r.has_hi)
				alts.emplace_back(Xapian::Query::OP_VALUE_RANGE, r.slot, r.lo, r.hi);
			else if (r.has_lo)
				alts.emplace_back(Xapian::Query::OP_VALUE_GE, r.slot, r.lo);
			else if (r.has_hi)
				alts.emplace_back(Xapian::Query::OP_VALUE_LE, r.slot, r.hi);
		}
		filters.emplace_back(Xapian::Query::OP_OR, alts.begin(), alts.end());
	}
	Xapian::Query result = text_q;
	if (!filters.empty())
		result = Xapian::Query(Xapian::Query::OP_FILTER, result,
				       Xapian::Query(Xapian::Query::OP_AND, filters.begin(), filters.end()));
	if (!q->negated.empty()) {
		Xapian::Query neg(Xapian::Query::OP_OR, q->negated.begin(), q->negated.end());
		result = Xapian::Query(Xapian::Query::OP_AND_NOT, result, neg);
	}
	return result;
}

static void walk(const Xapian::Query &q, void (*node)(void *, enum idx_qop, const char *, size_t), void *arg)
{
	const size_t n = q.get_num_subqueries();
	switch (q.get_type()) {
	case Xapian::Query::LEAF_TERM:
		node(arg, IDX_Q_TERM, (*q.get_terms_begin()).c_str(), 0);
		return;
	case Xapian::Query::LEAF_MATCH_ALL:
		node(arg, IDX_Q_ALL, nullptr, 0);
		return;
	case Xapian::Query::LEAF_MATCH_NOTHING:
		node(arg, IDX_Q_NONE, nullptr, 0);
		return;
	case Xapian::Query::OP_SCALE_WEIGHT:
		walk(q.get_subquery(0), node, arg);
		return;
	case Xapian::Query::OP_AND_MAYBE:
		// "+lithium battery": what matches is what the first part matches; the rest only ranks.
		walk(q.get_subquery(0), node, arg);
		return;
	case Xapian::Query::OP_AND:
	case Xapian::Query::OP_FILTER:
		node(arg, IDX_Q_AND, nullptr, n);
		break;
	case Xapian::Query::OP_OR:
	case Xapian::Query::OP_SYNONYM:
		node(arg, IDX_Q_OR, nullptr, n);
		break;
	case Xapian::Query::OP_AND_NOT:
		node(arg, IDX_Q_AND_NOT, nullptr, n);
		break;
	case Xapian::Query::OP_PHRASE:
	case Xapian::Query::OP_NEAR:
		for (size_t i = 0; i < n; i++)
			if (q.get_subquery(i).get_type() != Xapian::Query::LEAF_TERM) {
				node(arg, IDX_Q_UNKNOWN, nullptr, 0);
				return;
			}
		node(arg, IDX_Q_PHRASE, nullptr, n);
		break;
	default:
		node(arg, IDX_Q_UNKNOWN, nullptr, 0);
		return;
	}
	for (size_t i = 0; i < n; i++)
		walk(q.get_subquery(i), node, arg);
}

extern "C" int idx_query_walk(struct idx *x, const struct idx_query *q,
			      void (*node)(void *arg, enum idx_qop op, const char *term, size_t nsub), void *arg)
{
	return guarded("walk query", nullptr, 0, [&]() {
		if (q->text.find('*') != std::string::npos)
			return -1; // wildcards expand against the database
		walk(build_query(x, q), node, arg);
		return 0;
	});
}

extern "C" void idx_doc_terms(struct idx *x, void (*cb)(void *arg, const char *term), void *arg)
{
	guarded("list document terms", nullptr, 0, [&]() {
		for (auto t = x->doc.termlist_begin(); t != x->doc.termlist_end(); ++t)
			cb(arg, (*t).c_str());
		return 0;
	});
}

// Whether every counted date is YYYY-MM-DD, as query.c writes them (an index of some other make is read by windows).
static bool dates_are_iso(const Xapian::ValueCountMatchSpy &dates)
{
	for (auto t = dates.values_begin(); t != dates.values_end(); ++t) {
		const std::string &v = *t;
		if (v.size() < 7 || v[4] != '-')
			return false;
	}
	return true;
}

extern "C" int idx_search(struct idx *x, const struct idx_query *q, unsigned offset, unsigned limit,
			  struct idx_results **out, char *err, size_t errlen)
{
	*out = nullptr;
	return guarded("search", err, errlen, [&]() {
		// A reader sees what the writer has committed since it last looked (cheap when nothing has).
		if (!x->wdb)
			x->db->reopen();
		std::unique_ptr<idx_results> r(new idx_results);
		Xapian::Enquire enq(*x->db);
		Xapian::Query bq;
		if (q->built && q->built_for == x) {
			bq = *q->built;
		} else {
			bq = build_query(x, q);
			if (q->text.find('*') == std::string::npos) {
				q->built.reset(new Xapian::Query(bq));
				q->built_for = x;
			}
		}
		enq.set_query(bq);
		if (q->by_date)
			enq.set_sort_by_value_then_relevance(IDX_SLOT_DISTRIBUTED, true);
		Xapian::ValueCountMatchSpy spies[5] = {
			Xapian::ValueCountMatchSpy(IDX_SLOT_MEMBER), Xapian::ValueCountMatchSpy(IDX_SLOT_TYPE),
			Xapian::ValueCountMatchSpy(IDX_SLOT_YEAR), Xapian::ValueCountMatchSpy(IDX_SLOT_KIND),
			Xapian::ValueCountMatchSpy(IDX_SLOT_RISK)};
		MultiValueCountSpy cats(IDX_SLOT_CATEGORY);
		FacetSpy facets;
		const bool one_spy = x->facet_slot && !switch_on(IDX_NO_FACET_SLOT);
		if (q->facets && one_spy) {
			enq.add_matchspy(&facets);
		} else if (q->facets) {
			for (auto &s : spies)
				enq.add_matchspy(&s);
			enq.add_matchspy(&cats);
		}
		// With facets every match is visited, so the total and the counts are exact.
		Xapian::doccount check = q->facets ? x->db->get_doccount() : 0;
		// Unless a sample is asked for: then at least that many matches are visited, and the counts of a larger
		// result are scaled from them (marked as estimates).
		if (q->facets && q->facet_sample && q->facet_sample < check)
			check = q->facet_sample;
		// Sorted by date on an index with month terms: the total and the facets come from an unsorted pass, the
		// page from the newest months first (windows of 1, 2, 4... months), so that a broad search does not sort
		// every match. The order is the same: months partition the documents, and within a window Xapian sorts by
		// date then relevance as it would overall.
		const bool by_month = q->by_date && x->month_terms && !switch_on(IDX_NO_MONTH_SORT);
		// In a date-sorted count pass that sees every match, the dates' counts say which months hold the page.
		Xapian::ValueCountMatchSpy dates(IDX_SLOT_DISTRIBUTED);
		if (by_month) {
			enq.add_matchspy(&dates);
			enq.set_sort_by_relevance();
			// The count pass counts exactly up to 5,000 matches, as a full sort would (which visits them all);
			// beyond, an estimate, marked so.
			if (!q->facets)
				check = std::min<Xapian::doccount>(x->db->get_doccount(), 5000);
		}
		// The count pass asks for one document, not none: with none and match spies, Xapian visited every match
		// whatever check_at_least said (a phrase sorted by date took 33 ms instead of 7).
		Xapian::MSet mset = enq.get_mset(by_month ? 0 : offset, by_month ? 1 : limit, check);
		r->total = mset.get_matches_estimated();
		r->exact = mset.get_matches_lower_bound() == mset.get_matches_upper_bound();
		double scale = 1.0;
		const Xapian::doccount seen = one_spy ? facets.total() : spies[0].get_total();
		if (q->facets && !r->exact && seen)
			scale = (double)r->total / (double)seen;
		auto take = [&](const Xapian::MSet &m) {
			for (auto it = m.begin(); it != m.end(); ++it) {
				r->docids.push_back(*it);
				r->scores.push_back(it.get_weight());
				Xapian::Document d = it.get_document();
				r->cat_values.push_back(d.get_value(IDX_SLOT_CATEGORY));
				r->risk_values.push_back(d.get_value(IDX_SLOT_RISK));
			}
		};
		if (!by_month) {
			take(mset);
		} else if (dates.get_total() == r->total && !switch_on(IDX_NO_MONTH_PLAN) && dates_are_iso(dates)) {
			// Every match was counted: skip the months before the page and read only the months it spans, in
			// one query.
			std::map<std::string, Xapian::doccount, std::greater<std::string>> per;
			Xapian::doccount dated = 0;
			for (auto t = dates.values_begin(); t != dates.values_end(); ++t) {
				const std::string &v = *t;
				per["XDM" + v.substr(0, 4) + v.substr(5, 2)] += t.get_termfreq();
				dated += t.get_termfreq();
			}
			std::vector<std::pair<std::string, Xapian::doccount>> months(per.begin(), per.end());
			if (r->total > dated)
				months.emplace_back("XDMnone", r->total - dated); // no date sorts last, as an empty value does
			size_t i = 0, j;
			unsigned skip = offset;
			for (; i < months.size() && skip >= months[i].second; i++)
				skip -= months[i].second;
			Xapian::doccount have = 0;
			std::vector<std::string> span;
			for (j = i; j < months.size() && have < skip + limit; j++) {
				have += months[j].second;
				span.push_back(months[j].first);
			}
			if (!span.empty() && limit) {
				Xapian::Enquire e2(*x->db);
				e2.set_sort_by_value_then_relevance(IDX_SLOT_DISTRIBUTED, true);
				Xapian::Query win(Xapian::Query::OP_OR, span.begin(), span.end());
				e2.set_query(Xapian::Query(Xapian::Query::OP_FILTER, bq, win));
				take(e2.get_mset(skip, limit));
			}
		} else {
			// More matches than were counted: the newest months first, in windows of 1, 2, 4... months.
			std::vector<std::string> months;
			bool undated = false;
			for (auto t = x->db->allterms_begin("XDM"); t != x->db->allterms_end("XDM"); ++t) {
				if (*t == "XDMnone")
					undated = true;
				else
					months.push_back(*t);
			}
			std::sort(months.rbegin(), months.rend());
			if (undated)
				months.push_back("XDMnone"); // no date sorts last, as an empty value does
			Xapian::Enquire e2(*x->db);
			e2.set_sort_by_value_then_relevance(IDX_SLOT_DISTRIBUTED, true);
			unsigned skip = offset, need = limit;
			for (size_t i = 0, width = 1; need && i < months.size(); i += width, width *= 2) {
				size_t end = std::min(months.size(), i + width);
				Xapian::Query win(Xapian::Query::OP_OR, months.begin() + (long)i, months.begin() + (long)end);
				e2.set_query(Xapian::Query(Xapian::Query::OP_FILTER, bq, win));
				if (skip) {
					Xapian::doccount n = e2.get_mset(0, 0, x->db->get_doccount()).get_matches_estimated();
					if (skip >= n) {
						skip -= n;
						continue;
					}
				}
				Xapian::MSet m = e2.get_mset(skip, need);
				take(m);
				need -= (unsigned)m.size();
				skip = 0;
			}
		}
		if (q->facets) {
			// Each facet's top 100 values with their counts, from the one spy or the six.
			const enum idx_slot order[FacetSpy::N] = {IDX_SLOT_MEMBER, IDX_SLOT_TYPE, IDX_SLOT_YEAR,
								  IDX_SLOT_KIND, IDX_SLOT_RISK,	 IDX_SLOT_CATEGORY};
			for (int k = 0; k < FacetSpy::N; k++) {
				std::vector<std::pair<std::string, unsigned>> top;
				if (one_spy) {
					top = facets.top(k, 100);
				} else if (k == FacetSpy::CATS) {
					top = cats.top(100);
				} else {
					for (auto t = spies[k].top_values_begin(100); t != spies[k].top_values_end(100); ++t)
						top.emplace_back(*t, t.get_termfreq());
				}
				auto &f = r->facets[order[k]];
				for (const auto &kv : top) {
					f.values.push_back(kv.first);
					f.counts.push_back((unsigned)(kv.second * scale + 0.5));
				}
				for (const auto &v : f.values)
					f.ptrs.push_back(v.c_str());
			}
		}
		*out = r.release();
		return 0;
	});
}

extern "C" void idx_results_free(struct idx_results *r)
{
	delete r;
}

extern "C" unsigned idx_results_total(const struct idx_results *r)
{
	return r->total;
}

extern "C" size_t idx_results_count(const struct idx_results *r)
{
	return r->docids.size();
}

extern "C" unsigned idx_results_docid(const struct idx_results *r, size_t i)
{
	return r->docids[i];
}

extern "C" double idx_results_score(const struct idx_results *r, size_t i)
{
	return r->scores[i];
}

extern "C" const char *idx_results_value(const struct idx_results *r, size_t i, enum idx_slot slot)
{
	if (slot == IDX_SLOT_CATEGORY)
		return r->cat_values[i].c_str();
	if (slot == IDX_SLOT_RISK)
		return r->risk_values[i].c_str();
	return "";
}

extern "C" size_t idx_results_facet(const struct idx_results *r, enum idx_slot slot, const char *const **values,
				    const unsigned **counts)
{
	const auto &f = r->facets[slot];
	*values = f.ptrs.data();
	*counts = f.counts.data();
	return f.values.size();
}
