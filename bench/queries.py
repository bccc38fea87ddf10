#!/usr/bin/env python3
"""queries.py N [SEED]: prints N mixed queries in tbtwarn's query language, one a line, for the search benchmark:
single words, several words, phrases, field filters (member, type, kind, hs, ics), date ranges and Chinese words,
in the proportions a researcher's session might show."""
import random
import sys

WORDS = ["battery", "batteries", "lithium", "toys", "furniture", "energy", "efficiency", "labelling", "safety",
         "formaldehyde", "lead", "cadmium", "conformity", "assessment", "residue", "pesticide", "honey", "lychee",
         "mobile", "radio", "cosmetic", "footwear", "textile", "ceramic", "plastics", "solar", "vehicles", "tyres",
         "medical", "cybersecurity", "detergents", "paints", "kettles", "refrigerators", "laboratories", "transition"]
PHRASES = ["energy efficiency", "conformity assessment", "maximum residue limits", "lithium-ion batteries",
           "technical documentation", "market surveillance", "food contact plastics", "electric bicycles"]
MEMBERS = ["USA", "EU", "BRA", "KEN", "CHN", "KOR", "JPN", "SAU", "IND", "TPKM", "THA", "VNM", "MEX", "CAN", "GBR"]
HS = ["85", "8507", "850760", "9503", "9403", "8415", "8418", "6403", "3304", "0810", "0409", "8471", "871160"]
ICS = ["97", "97.200.50", "29.220", "33.050", "43.150", "67.250"]
CHINESE = ["锂电池", "玩具", "甲醛", "双酚A", "食品接触", "合格评定"]


def date_range(r):
    y = r.randint(2015, 2024)
    m1 = r.randint(1, 12)
    m2 = min(12, m1 + r.randint(0, 5))
    return "%d-%02d-01..%d-%02d-28" % (y, m1, y, m2)


def query(r):
    x = r.random()
    if x < 0.25:
        return r.choice(WORDS)
    if x < 0.40:
        return " ".join(r.sample(WORDS, 2))
    if x < 0.50:
        return '"%s"' % r.choice(PHRASES)
    if x < 0.62:
        return "%s member:%s" % (r.choice(WORDS), r.choice(MEMBERS))
    if x < 0.70:
        return "type:%s %s" % (r.choice(["tbt", "sps"]), r.choice(WORDS))
    if x < 0.78:
        return "hs:%s" % r.choice(HS) + (" " + r.choice(WORDS) if r.random() < 0.5 else "")
    if x < 0.83:
        return "ics:%s" % r.choice(ICS)
    if x < 0.90:
        return "%s date:%s" % (r.choice(WORDS), date_range(r))
    if x < 0.95:
        return "kind:addendum member:%s" % r.choice(MEMBERS)
    return r.choice(CHINESE)


def main():
    n = int(sys.argv[1])
    r = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 7)
    for _ in range(n):
        print(query(r))


if __name__ == "__main__":
    main()
