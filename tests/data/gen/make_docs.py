#!/usr/bin/env python3
"""make_docs.py: writes the DOCX and PDF fixtures of tests/data/layouts/ from our own text, in the layouts the WTO
uses (a DOCX whose form is a table, item numbers in their own cells; a PDF of text lines). Run it again only to
change them: the outputs are committed, byte for byte."""
import os
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "layouts")

HEADER = ["G/TBT/N/KOR/1250", "14 July 2025", "(25-4410)", "Committee on Technical Barriers to Trade",
          "Original: English", "NOTIFICATION",
          "The following notification is being circulated in accordance with Article 10.6"]
ITEMS = [
    ("1.", "Notifying Member: REPUBLIC OF KOREA"),
    ("2.", "Agency responsible: Korean Agency for Technology and Standards (KATS)"),
    ("3.", "Notified under Article 2.9.2 [X], 2.10.1 [ ], 5.6.2 [ ], 5.7.1 [ ], other:"),
    ("4.", "Products covered: Portable electric heaters (HS 8516.29); ICS 97.100.10"),
    ("5.", "Title, number of pages and language(s) of the notified document: Proposed revision of the safety "
           "confirmation requirements for portable electric heaters (11 page(s), in Korean)"),
    ("6.", "Description of content: Heaters sold to households must switch off when tipped over and keep the "
           "temperature of their guards below the limits of the revised standard; the marking shows the rated power."),
    ("7.", "Objective and rationale, including the nature of urgent problems where applicable: Protection of "
           "human health or safety"),
    ("8.", "Relevant documents: KC 60335-2-30"),
    ("9.", "Proposed date of adoption: December 2025"),
    ("", "Proposed date of entry into force: 1 July 2026"),
    ("10.", "Final date for comments: 60 days after notification"),
    ("11.", "Texts available from: National enquiry point [X]"),
]

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def para(text):
    esc = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<w:p><w:r><w:t xml:space="preserve">{esc}</w:t></w:r></w:p>'


def docx(path):
    body = "".join(para(t) for t in HEADER)
    rows = "".join(f"<w:tr><w:tc>{para(n)}</w:tc><w:tc>{para(t)}</w:tc></w:tr>" for n, t in ITEMS)
    docx_write(path, f"{body}<w:tbl>{rows}</w:tbl>")


def docx_write(path, body):
    doc = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {W}><w:body>{body}</w:body></w:document>'
    ct = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in (("[Content_Types].xml", ct), ("_rels/.rels", rels), ("word/document.xml", doc)):
            info = zipfile.ZipInfo(name, date_time=(2025, 7, 14, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)


def pdf(path, lines):
    """A one-page-per-60-lines PDF with Helvetica text, one text line per form line."""
    objs = []
    pages = [lines[i:i + 60] for i in range(0, len(lines), 60)] or [[]]
    kids = []
    n_fixed = 3  # catalog, pages, font
    for k, chunk in enumerate(pages):
        content = "BT /F1 9 Tf 40 800 Td 12 TL\n" + "".join(
            "(" + l.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") Tj T*\n" for l in chunk) + "ET"
        content_id = n_fixed + 1 + 2 * k
        page_id = content_id + 1
        kids.append(page_id)
        objs.append((content_id, f"<< /Length {len(content.encode('latin-1'))} >>\nstream\n{content}\nendstream"))
        objs.append((page_id, f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {content_id} 0 R "
                              f"/Resources << /Font << /F1 3 0 R >> >> >>"))
    fixed = [(1, "<< /Type /Catalog /Pages 2 0 R >>"),
             (2, f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>"),
             (3, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")]
    out = b"%PDF-1.4\n"
    offsets = {}
    for num, body in sorted(fixed + objs):
        offsets[num] = len(out)
        out += f"{num} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    count = max(offsets) + 1
    out += f"xref\n0 {count}\n0000000000 65535 f \n".encode()
    for i in range(1, count):
        out += f"{offsets[i]:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {count} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    open(path, "wb").write(out)


# The PDF: an SPS form as the WTO prints it, with a heading glued to the value before it.
SPS = ["G/SPS/N/EU/802", "3 March 2025", "(25-1402)", "Committee on Sanitary and Phytosanitary Measures",
       "Original: English", "NOTIFICATION",
       "1. Notifying Member: EUROPEAN UNION",
       "2. Agency responsible: European Commission, Directorate-General for Health and Food Safety",
       "3. Products covered (provide tariff item number(s) as specified in national schedules deposited with the",
       "WTO; ICS numbers should be provided in addition, where applicable): Dried mushrooms (HS 0712.39)",
       "4. Regions or countries likely to be affected, to the extent relevant or practicable:",
       "[X] All trading partners",
       "5. Title of the notified document: Draft Commission Regulation amending the maximum levels of",
       "nicotine in dried wild mushrooms. Language(s): English. Number of pages: 5",
       "6. Description of content: The draft lowers the maximum level of nicotine in dried wild mushrooms and",
       "sets a transition period for products placed on the market before the date of application.",
       "7. Objective and rationale: [X] food safety, [ ] animal health, [ ] plant protection",
       "8. Is there a relevant international standard? If so, identify the standard:",
       "[ ] Codex Alimentarius Commission [X] None",
       "9. Other relevant documents and language(s) in which these are available: Regulation (EU) 2023/915",
       "10. Proposed date of adoption (dd/mm/yy): Second quarter of 202511. Proposed date of entry into force:",
       "Twenty days after publication",
       "12. Final date for comments: [X] Sixty days from the date of circulation of the notification and/or",
       "(dd/mm/yy): 2 May 2025",
       "13. Texts available from: [X] National Notification Authority, [X] National Enquiry Point."]

# Draft texts that notifications link to (document_urls), in our own words: what the crawler fetches and indexes.
DRAFTS = os.path.join(HERE, "..", "drafts")
HEATER_DRAFT = ["Draft Technical Regulation on Portable Electric Heaters", "Chapter 1 General provisions",
                "Article 1 This regulation applies to portable electric heaters for household use."] + [
    f"Article {i} The heater shall carry a tip-over switch that cuts the supply within two seconds; the "
    f"temperature of the front guard shall not exceed the limit of table {i}." for i in range(2, 70)] + [
    "Article 70 Conformity assessment: the manufacturer keeps a test report of an accredited laboratory.",
    "Article 71 The rated power in watts appears on the marking plate in characters at least 3 mm high."]
LABEL_DRAFT = ["Draft decree on the labelling of cosmetic products",
               "Cosmetic products shall show the list of ingredients in the national language.",
               "Nanomaterials among the ingredients are named with the word nano in brackets.",
               "The batch code and the period after opening appear on the outer packaging."]

if __name__ == "__main__":
    os.makedirs(DRAFTS, exist_ok=True)
    pdf(os.path.join(DRAFTS, "heater-regulation.pdf"), HEATER_DRAFT)
    docx_write(os.path.join(DRAFTS, "cosmetics-labelling.docx"), "".join(para(t) for t in LABEL_DRAFT))
    # A scan: a page with no text at all.
    pdf(os.path.join(DRAFTS, "scanned.pdf"), [])
    docx(os.path.join(OUT, "wto-docx-table.docx"))
    pdf(os.path.join(OUT, "wto-pdf-sps.pdf"), SPS)
    # Hostile or broken files: each must be refused with its reason, nothing else lost.
    with zipfile.ZipFile(os.path.join(OUT, "bad-docx-no-document.docx"), "w") as z:
        z.writestr(zipfile.ZipInfo("word/styles.xml", date_time=(2025, 1, 1, 0, 0, 0)), "<styles/>")
    with zipfile.ZipFile(os.path.join(OUT, "bad-docx-bomb.docx"), "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo("word/document.xml", date_time=(2025, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, b"<w:document>" + b" " * (80 << 20) + b"</w:document>")
    data = open(os.path.join(OUT, "wto-pdf-sps.pdf"), "rb").read()
    open(os.path.join(OUT, "bad-pdf-truncated.pdf"), "wb").write(data[:400])
