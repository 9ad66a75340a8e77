#!/usr/bin/env python3
"""Build docs/corvane_rail_h1_2025.pdf: one uncompressed page, text drawn with Tj.

Standard library only. Run from any directory: python3 make_pdf.py
"""
import os
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "docs", "corvane_rail_h1_2025.pdf")

TITLE = "CORVANE RAIL FREIGHT"
SUBTITLE = "Construction Materials Traffic Report - First Half 2025"

PARAGRAPHS = [
    "Published 12 August 2025, Dressel. Corvane Rail Freight is the principal rail operator "
    "for cement, clinker and aggregates in Tarvania.",
    "",
    "Corvane Rail Freight moved 6.48 million tonnes of construction materials in the six months "
    "to 30 June 2025, compared with 6.11 million tonnes in the first half of 2024. Growth came "
    "mainly from cement for the Dressel ring-road and from aggregates for rail ballast renewal.",
    "",
    "TRAFFIC BY COMMODITY, H1 2025",
    "- Bulk cement: 3.12 million tonnes (H1 2024: 2.95 million tonnes)",
    "- Clinker: 0.87 million tonnes (H1 2024: 0.82 million tonnes)",
    "- Aggregates: 2.49 million tonnes (H1 2024: 2.34 million tonnes)",
    "",
    "FINANCIALS",
    "Revenue from cement traffic was TVD 184.6 million in H1 2025. Total construction-materials "
    "revenue reached TVD 341.2 million, up from TVD 309.8 million in H1 2024. A general tariff "
    "increase of 4.5% took effect on 1 January 2025; fuel surcharges were unchanged.",
    "",
    "MAIN FLOWS, H1 2025",
    "- Halvren Cement, Stenna plant to Port of Dressel cement terminal: 1.04 million tonnes",
    "- Kalder Building Materials, Vell Marra plant to Orvan distribution depot: 0.76 million tonnes",
    "- Meridane Cement, Oskaro plant to northern depots: 0.41 million tonnes",
    "",
    "PORT OF DRESSEL CEMENT TERMINAL",
    "Clinker loaded for export by ship at the terminal totalled 0.44 million tonnes in H1 2025, "
    "against 0.35 million tonnes in the second half of 2024. The second shiploader entered "
    "service in March and lifted peak loading capacity to 1,400 tonnes per hour.",
    "",
    "OPERATIONS",
    "The fleet comprises 1,120 covered hopper wagons, including 60 new wagons delivered in May. "
    "Corvane achieved an average wagon turnaround of 3.8 days, compared with 4.3 days a year "
    "earlier, and on-time arrival for cement trains was 91.4%. Two derailments in sidings caused "
    "no injuries.",
    "",
    "OUTLOOK",
    "Corvane expects to move about 6.7 million tonnes of construction materials in the second half "
    "of 2025. A new siding at Hask, serving the Dorvel Cement plant, is planned to open in 2026 "
    "subject to permits.",
]


def esc(s):
    return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def build_content():
    ops = ["BT", "/F2 16 Tf", "1 0 0 1 56 790 Tm", "(%s) Tj" % esc(TITLE),
           "/F2 12 Tf", "0 -20 Td", "(%s) Tj" % esc(SUBTITLE), "/F1 10 Tf", "13 TL", "0 -10 Td"]
    for para in PARAGRAPHS:
        if para == "":
            ops.append("T*")
            continue
        for line in textwrap.wrap(para, 90):
            ops.append("T*")
            ops.append("(%s) Tj" % esc(line))
    ops.append("ET")
    return ("\n".join(ops) + "\n").encode("latin-1")


def build_pdf():
    content = build_content()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"endstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Title (Corvane Rail Freight - Construction Materials Traffic Report H1 2025) "
        b"/Author (Corvane Rail Freight) >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n" % (len(objs) + 1)
    out += b"0000000000 65535 f \n"
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 7 0 R >>\n" % (len(objs) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


if __name__ == "__main__":
    data = build_pdf()
    with open(OUT, "wb") as f:
        f.write(data)
    print("wrote %s (%d bytes)" % (OUT, len(data)))
