// bare_xapian.cc DB DOCS: the baseline for import. Reads the index documents that bench/dump_docs wrote (the very
// documents tbtwarn builds: same text fields and weights, boolean terms and values) and adds them to Xapian with a
// TermGenerator configured as tbtwarn's, with nothing else: no parsing of sources, no store, no history.
// This is the limit an import can approach. Prints "docs seconds docs/s".
#include <xapian.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

int main(int argc, char **argv)
{
	if (argc != 3) {
		std::fprintf(stderr, "usage: bare_xapian DB DOCS\n");
		return 2;
	}
	std::ifstream in(argv[2]);
	if (!in) {
		std::perror(argv[2]);
		return 1;
	}
	auto t0 = std::chrono::steady_clock::now();
	Xapian::WritableDatabase db(argv[1], Xapian::DB_CREATE_OR_OVERWRITE);
	Xapian::TermGenerator tg;
	tg.set_stemmer(Xapian::Stem("english"));
	tg.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
	tg.set_flags(Xapian::TermGenerator::FLAG_CJK_NGRAM);
	Xapian::Document doc;
	tg.set_document(doc);
	unsigned long n = 0;
	std::string line;
	while (std::getline(in, line)) {
		if (line.empty())
			continue;
		if (line[0] == 'E') {
			db.add_document(doc);
			doc = Xapian::Document();
			tg.set_document(doc);
			n++;
			continue;
		}
		size_t t1 = line.find('\t', 2);
		if (line[0] == 'B') {
			doc.add_boolean_term(line.substr(2));
		} else if (line[0] == 'V') {
			doc.add_value(std::stoul(line.substr(2, t1 - 2)), line.substr(t1 + 1));
		} else if (line[0] == 'T') {
			size_t t2 = line.find('\t', t1 + 1);
			unsigned w = std::stoul(line.substr(2, t1 - 2));
			tg.index_text(line.substr(t2 + 1), w, line.substr(t1 + 1, t2 - t1 - 1));
			tg.increase_termpos();
		}
	}
	db.commit();
	double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
	std::printf("%lu %.3f %.0f\n", n, s, n / s);
	return 0;
}
