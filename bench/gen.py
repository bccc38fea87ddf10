#!/usr/bin/env python3
"""gen.py N OUTDIR [PAGE] [SEED]: writes a synthetic archive of N notifications as ePing API pages.

Field lengths and code counts follow real notifications: titles of 60-250 characters, descriptions of 2-9
sentences, 0-6 HS codes (a fifth give none), ICS codes on a third, a sixth of them addenda, a third SPS, members
weighted as they notify. Deterministic for a seed, so that runs compare.
"""
import json
import os
import random
import sys

MEMBERS = [("USA", 14), ("EU", 8), ("BRA", 7), ("KEN", 5), ("UGA", 5), ("TZA", 4), ("CHN", 5), ("KOR", 5),
           ("JPN", 4), ("SAU", 4), ("ARE", 3), ("KWT", 2), ("BHR", 2), ("OMN", 2), ("QAT", 2), ("YEM", 1),
           ("IND", 4), ("TPKM", 3), ("THA", 3), ("VNM", 3), ("PHL", 3), ("IDN", 2), ("MEX", 3), ("CHL", 3),
           ("PER", 2), ("COL", 2), ("ECU", 3), ("CAN", 3), ("AUS", 2), ("NZL", 1), ("GBR", 3), ("CHE", 2),
           ("UKR", 2), ("RUS", 2), ("TUR", 2), ("MYS", 2), ("SGP", 1), ("ZAF", 2), ("EGY", 2), ("ISR", 3),
           ("RWA", 2), ("BDI", 1), ("ARG", 2), ("URY", 1), ("PRY", 1), ("MAR", 1), ("TUN", 1), ("JOR", 1)]
SUBJECTS = [
    ("lithium-ion batteries", ["850760", "8507"], ["29.220.30"]),
    ("toys", ["9503"], ["97.200.50"]),
    ("children's furniture", ["940350", "9403"], ["97.140"]),
    ("air conditioners", ["841510", "841581"], ["27.015", "23.120"]),
    ("refrigerators and freezers", ["841810", "841821"], ["97.040.30"]),
    ("LED lamps", ["853952", "940511"], ["29.140.99"]),
    ("mobile phones", ["851713"], ["33.050"]),
    ("radio equipment", ["851762", "852560"], ["33.060.20"]),
    ("electric kettles", ["851671"], ["97.040.50"]),
    ("rice cookers", ["851660"], ["97.040.50"]),
    ("footwear", ["6403", "6404"], ["61.060"]),
    ("textile products", ["6109", "6110", "6204"], ["59.080"]),
    ("cosmetic products", ["3304", "3305"], ["71.100.70"]),
    ("ceramic tableware", ["6911", "6912"], ["97.040.60"]),
    ("food contact plastics", ["392410", "3923"], ["67.250"]),
    ("solar photovoltaic modules", ["854143"], ["27.160"]),
    ("electric bicycles", ["871160"], ["43.150"]),
    ("motor vehicles", ["8703"], ["43.020"]),
    ("tyres", ["4011"], ["83.160.10"]),
    ("pesticide residues in fruit", ["0810", "0804"], []),
    ("veterinary drug residues in honey", ["0409"], []),
    ("fresh lychee fruit", ["081090"], []),
    ("dairy products", ["0401", "0406"], ["67.100"]),
    ("food additives", ["2106"], ["67.220.20"]),
    ("medical devices", ["9018", "9019"], ["11.040"]),
    ("cybersecurity of connected devices", ["8471", "851762"], ["35.030"]),
    ("wood-based panels", ["4410", "4411"], ["79.060"]),
    ("steel reinforcing bars", ["7214"], ["77.140.15"]),
    ("paints and varnishes", ["3208", "3209"], ["87.040"]),
    ("detergents", ["3402"], ["71.100.40"]),
]
KINDS = ["Draft", "Proposed", "Amendment to the", "Revision of the", "Draft Ministerial"]
INSTRUMENTS = ["Technical Regulation", "Ordinance", "Decree", "Standard", "Resolution", "Order", "Rule"]
ASPECTS = ["safety requirements", "energy efficiency requirements", "labelling requirements",
           "conformity assessment procedures", "maximum residue limits", "chemical restrictions",
           "marking and traceability", "import requirements", "performance and test methods"]
SENTENCES = [
    "The draft lays down {aspect} for {subject} placed on the market.",
    "Manufacturers and importers shall keep technical documentation for ten years.",
    "Products shall bear a conformity mark before sale, issued by a designated body.",
    "The regulation aligns national requirements with the relevant international standards.",
    "Limits for lead, cadmium and formaldehyde are lowered in line with recent risk assessments.",
    "Labels shall be in the official language and state the importer's name and address.",
    "Test reports from accredited laboratories recognised under ILAC arrangements are accepted.",
    "A transition period of twelve months applies to {subject} already in the supply chain.",
    "The measure replaces the regulation notified in {ref} and extends its scope.",
    "Market surveillance authorities may withdraw non-compliant {subject}.",
    "Minimum energy performance standards and an energy label with classes A to G are introduced.",
    "Sampling plans and analytical methods are specified in the annexes.",
]
OBJECTIVES = ["Protection of human health or safety", "Consumer information, labelling", "Protection of the environment",
              "Quality requirements", "Prevention of deceptive practices and consumer protection", "Harmonization"]
SPS_OBJECTIVES = ["Food safety", "Animal health", "Plant protection"]
CHINESE = ["本草案规定了产品安全要求和标签要求。", "锂电池和电动自行车须通过合格评定。", "玩具中甲醛和重金属限量降低。",
           "食品接触材料中双酚A迁移限量。"]


def dotted(code):
    return code if len(code) <= 4 else code[:4] + "." + code[4:]


def main():
    n = int(sys.argv[1])
    out = sys.argv[2]
    page = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    rnd = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 2025)
    os.makedirs(out, exist_ok=True)
    members = [m for m, w in MEMBERS for _ in range(w)]
    counters = {}
    bases = []
    items = []
    pageno = 0
    for i in range(n):
        member = rnd.choice(members)
        sps = rnd.random() < 0.33
        area = "SPS" if sps else "TBT"
        subject, hs, ics = rnd.choice(SUBJECTS[19:24] if sps and rnd.random() < 0.8 else SUBJECTS)
        day = 1 + i * 3650 // n
        year = 2015 + day // 365
        doy = day % 365
        month = 1 + doy // 31 % 12
        dom = 1 + doy % 28
        dist = "%04d-%02d-%02d" % (year, month, dom)
        if bases and rnd.random() < 0.16:
            base = rnd.choice(bases)
            counters[base] = counters.get(base, 0) + 1
            symbol = "%s/Add.%d" % (base, counters[base])
        else:
            key = (area, member)
            counters[key] = counters.get(key, 0) + 1
            symbol = "G/%s/N/%s/%d" % (area, member, counters[key])
            bases.append(symbol)
        aspect = rnd.choice(ASPECTS)
        title = "%s %s on %s of %s" % (rnd.choice(KINDS), rnd.choice(INSTRUMENTS), aspect, subject)
        if rnd.random() < 0.5:
            title += " (No. %d/%d)" % (rnd.randint(1, 999), year)
        sents = [rnd.choice(SENTENCES).format(aspect=aspect, subject=subject, ref=rnd.choice(bases))
                 for _ in range(rnd.randint(2, 9))]
        if rnd.random() < 0.05:
            sents.append(rnd.choice(CHINESE))
        codes = [] if rnd.random() < 0.2 else rnd.sample(hs, k=rnd.randint(1, len(hs)))
        if codes and rnd.random() < 0.3:
            codes += [rnd.choice(SUBJECTS)[1][0] for _ in range(rnd.randint(1, 4))]
        item = {
            "id": 100000 + i,
            "area": area,
            "documentSymbol": (" " if rnd.random() < 0.5 else "") + symbol,
            "notifyingMember": member,
            "distributionDate": dist + "T00:00:00+01:00",
            "commentDeadlineDate": None if rnd.random() < 0.15 else dist[:5] + "%02d-%02d" % (min(12, month + 2), dom),
            "proposedAdoptionDateText": rnd.choice(["To be determined", "%d" % (year + 1), "Upon publication"]),
            "proposedEntryIntoForceDateText": rnd.choice(["6 months after publication", "180 days after adoption"]),
            "title": "<p>" + title + "</p>",
            "description": "<p>" + " ".join(sents) + "</p>",
            "productsFreeText": "%s (HS %s)" % (subject.capitalize(), ", ".join(dotted(c) for c in codes)) if codes else subject,
            "hsCodes": [{"id": k, "code": dotted(c), "name": subject} for k, c in enumerate(codes)],
            "icsCodes": [{"id": k, "code": c} for k, c in enumerate(ics if rnd.random() < 0.35 else [])],
            "objectives": [{"id": 1, "name": o} for o in rnd.sample(SPS_OBJECTIVES if sps else OBJECTIVES, k=rnd.randint(1, 2))],
            "keywords": [{"id": 1, "name": subject}],
            "notifiedDocumentLink": "https://members.wto.org/crnattachments/%d/%s/%s/%02d_%04d_00_e.pdf" % (year, area, member, year % 100, i % 10000),
        }
        items.append(item)
        if len(items) == page or i == n - 1:
            pageno += 1
            with open(os.path.join(out, "page-%04d.json" % pageno), "w", encoding="utf-8") as f:
                json.dump({"currentPage": pageno, "pageSize": page, "totalCount": n, "items": items}, f, ensure_ascii=False)
            items = []


if __name__ == "__main__":
    main()
