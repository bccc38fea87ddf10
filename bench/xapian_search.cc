// xapian_search.cc INDEX QUERIES: the baseline for search: the same queries straight through the Xapian API
// (QueryParser with boolean prefixes for the fields and a range processor for dates, the same stemmer, flags,
// page size and facet spies), once to warm up and once measured. Prints "queries median_us p90_us p99_us mean_us".
#include <xapian.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

int main(int argc, char **argv)
{
	if (argc != 3) {
		std::fprintf(stderr, "usage: xapian_search INDEX QUERIES\n");
		return 2;
	}
	Xapian::Database db(argv[1]);
	std::ifstream in(argv[2]);
	std::vector<std::string> qs;
	for (std::string l; std::getline(in, l);)
		if (!l.empty())
			qs.push_back(l);
	Xapian::QueryParser qp;
	qp.set_stemmer(Xapian::Stem("english"));
	qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
	qp.set_default_op(Xapian::Query::OP_AND);
	qp.set_database(db);
	qp.add_boolean_prefix("member", "XM");
	qp.add_boolean_prefix("type", "XT");
	qp.add_boolean_prefix("kind", "XK");
	qp.add_boolean_prefix("hs", "XH");
	qp.add_boolean_prefix("ics", "XI");
	Xapian::RangeProcessor dates(0, "date:");
	qp.add_rangeprocessor(&dates);
	unsigned flags = Xapian::QueryParser::FLAG_PHRASE | Xapian::QueryParser::FLAG_BOOLEAN |
			 Xapian::QueryParser::FLAG_LOVEHATE | Xapian::QueryParser::FLAG_WILDCARD |
			 Xapian::QueryParser::FLAG_PURE_NOT | Xapian::QueryParser::FLAG_CJK_NGRAM;
	std::vector<double> lat(qs.size());
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < qs.size(); i++) {
			auto t0 = std::chrono::steady_clock::now();
			Xapian::Enquire enq(db);
			enq.set_query(qp.parse_query(qs[i], flags));
			// The same six facet slots that tbtwarn counts (the category slot as one value per document).
			Xapian::ValueCountMatchSpy s1(2), s2(3), s3(4), s4(5), s5(6), s6(7);
			enq.add_matchspy(&s1);
			enq.add_matchspy(&s2);
			enq.add_matchspy(&s3);
			enq.add_matchspy(&s4);
			enq.add_matchspy(&s5);
			enq.add_matchspy(&s6);
			Xapian::MSet m = enq.get_mset(0, 20, db.get_doccount());
			unsigned long sink = m.get_matches_estimated();
			for (auto it = m.begin(); it != m.end(); ++it)
				sink += it.get_document().get_value(2).size() + it.get_document().get_value(6).size();
			for (auto t = s1.top_values_begin(100); t != s1.top_values_end(100); ++t)
				sink += t.get_termfreq();
			lat[i] = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
			if (sink == (unsigned long)-1)
				std::puts("");
		}
	}
	double sum = 0;
	for (double v : lat)
		sum += v;
	std::sort(lat.begin(), lat.end());
	size_t n = lat.size();
	std::printf("%zu %.0f %.0f %.0f %.0f\n", n, lat[n / 2], lat[n * 90 / 100], lat[n * 99 / 100], sum / n);
	return 0;
}
