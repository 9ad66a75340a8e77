#!/usr/bin/env python3
"""Write docs/baohai_windtech_h1_2025_highlights.pdf by hand.

Plain PDF 1.4: one page, standard Type1 font Helvetica (WinAnsiEncoding),
one BT/ET text object per line, uncompressed content stream, correct xref.
Only the Python standard library is used.  Text is ASCII only.
"""
import os
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "docs", "baohai_windtech_h1_2025_highlights.pdf")

TITLE = "Baohai Windtech Co., Ltd. - Interim Report 2025: Results Highlights"
AUTHOR = "Baohai Windtech Co., Ltd."

# (text, font size); "" = blank line
PARAS = [
    ("Baohai Windtech Co., Ltd. (ticker BHWT)", 15),
    ("Interim Report 2025 - Results Highlights", 13),
    ("For the six months ended 30 June 2025 (H1 2025), unaudited. Published 28 August 2025.", 10),
    ("", 10),
    ("1. Key figures", 12),
    ("Revenue was RMB 18.64 billion in H1 2025, compared with RMB 15.02 billion in H1 2024, an increase of 24.1%.", 10),
    ("Gross margin was 17.8%, up 0.9 percentage points from 16.9% a year earlier.", 10),
    ("Net profit attributable to shareholders was RMB 1.12 billion (H1 2024: RMB 0.87 billion).", 10),
    ("Research and development expense was RMB 742 million, about 4.0% of revenue.", 10),
    ("Cash and cash equivalents at 30 June 2025: CNY 9.3 billion.", 10),
    ("", 10),
    ("2. Turbine shipments", 12),
    ("Turbine shipments in the first half of 2025 were 412 units with a combined capacity of 4.26 GW.", 10),
    ("In the first half of 2024 the company shipped 326 units with a combined capacity of 3.12 GW.", 10),
    ("Offshore models accounted for 156 of the units shipped in H1 2025. Turbine sales made up about 71% of revenue; "
     "the rest came from services, components and the sale of wind farms.", 10),
    ("Average selling prices were about CNY 2.3 million per MW for onshore models and more than CNY 4.0 million per MW "
     "for offshore models.", 10),
    ("", 10),
    ("3. Exports and Europe", 12),
    ("Export sales made up 31% of revenue in H1 2025, against 24% in H1 2024.", 10),
    ("In May 2025 the company signed a conditional agreement with Kestrel Renewables SE to supply 50 turbines of 14 MW "
     "for the Orlen Flats project in Varland, subject to Kestrel winning a contract in Varland's Round 5 auction.", 10),
    ("A service centre for European customers will open in the first half of 2026.", 10),
    ("", 10),
    ("4. Order book", 12),
    ("The order backlog at 30 June 2025 was 41.6 GW, of which 9.8 GW were offshore turbines.", 10),
    ("", 10),
    ("5. Outlook", 12),
    ("Management expects shipments in the second half of 2025 to exceed those of the first half, supported by "
     "deliveries to offshore projects in the South China Sea and the first export orders for 14 MW turbines.", 10),
    ("", 10),
    ("Note: amounts are in Renminbi; RMB and CNY are used interchangeably in this report. The average exchange rate "
     "in H1 2025 was US$1 = RMB 7.18.", 9),
]

PAGE_W, PAGE_H = 595, 842
LEFT, TOP = 50, 790


def esc(s):
    return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def layout():
    lines = []  # (text, size)
    for text, size in PARAS:
        if not text:
            lines.append(("", size))
            continue
        width = int(95 * 10 / size)
        for ln in textwrap.wrap(text, width=width):
            lines.append((ln, size))
    return lines


def content_stream():
    parts = []
    y = TOP
    for text, size in layout():
        if text:
            parts.append("BT /F1 %d Tf %d %d Td (%s) Tj ET" % (size, LEFT, y, esc(text)))
        y -= int(size * 1.45) + (2 if size >= 12 else 0)
    if y < 40:
        raise SystemExit("text does not fit on one page")
    return "\n".join(parts).encode("latin-1")


def build():
    stream = content_stream()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        ("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
         "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>" % (PAGE_W, PAGE_H)).encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        ("<< /Title (%s) /Author (%s) /CreationDate (D:20250828090000) /Producer (make_pdf.py) >>"
         % (esc(TITLE), esc(AUTHOR))).encode("latin-1"),
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
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    with open(OUT, "wb") as f:
        f.write(out)
    print("wrote", OUT, len(out), "bytes")


if __name__ == "__main__":
    build()
