#!/usr/bin/env python3
"""Build docs/saltgate_h1_2025_report.pdf: a one-page, uncompressed PDF.

Standard library only. Every line of text is drawn with its own Tj operator,
and the cross-reference table is computed from the real byte offsets.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "docs", "saltgate_h1_2025_report.pdf")

# (font, size, text); font "B" = Helvetica-Bold, "R" = Helvetica, None = blank line
LINES = [
    ("B", 14, "Saltgate Processing & Logistics AS"),
    ("B", 12, "Half-Year Report: First Half 2025 (1 January - 30 June 2025)"),
    ("R", 9, "Brennvik, Kestria. Published 17 July 2025. Unaudited."),
    (None, 0, ""),
    ("B", 10, "Summary"),
    ("R", 9, "Saltgate processed 61,200 tonnes of salmon (gutted weight equivalent) in the first half of 2025,"),
    ("R", 9, "compared with 55,900 tonnes in the first half of 2024. Second-quarter volume alone was 33,400 tonnes,"),
    ("R", 9, "the highest quarterly figure in the company's history, as farmers brought forward harvests of"),
    ("R", 9, "large fish ahead of the summer lice season."),
    (None, 0, ""),
    ("R", 9, "Revenue for the half year was KSK 1,046 million (EUR 91.0 million), up from KSK 938 million."),
    ("R", 9, "EBITDA rose to KSK 118 million from KSK 97 million, giving an EBITDA margin of 11.3 percent."),
    ("R", 9, "Capital expenditure in the period was KSK 64 million, mainly for the new portioning line."),
    (None, 0, ""),
    ("B", 10, "Processing"),
    ("R", 9, "The Brennvik plant processed 38,900 tonnes and the Sildavik plant 22,300 tonnes. Value-added"),
    ("R", 9, "products (fillets and portions) reached 14,750 tonnes, or 24.1 percent of volume, compared with"),
    ("R", 9, "21.6 percent in the first half of 2024. Energy use fell to 0.21 MWh per tonne processed."),
    ("R", 9, "Orrafjord Salmon and Sildaby Fisk together supplied 54 percent of raw material. A five-year"),
    ("R", 9, "processing agreement with Kelvane Aqua takes effect on 1 September 2025."),
    (None, 0, ""),
    ("B", 10, "Logistics"),
    ("R", 9, "Road: 3,480 full truckloads carried 52,780 tonnes to customers in continental Europe, compared"),
    ("R", 9, "with 3,190 truckloads in the first half of 2024. Average transit time to the main distribution"),
    ("R", 9, "hub was 41 hours."),
    ("R", 9, "Air: 4,870 tonnes were flown to Asia and North America, equal to 8.0 percent of volume, up 1.5"),
    ("R", 9, "percentage points from a year earlier."),
    ("R", 9, "Other: the remaining 3,550 tonnes were sold in Kestria or shipped by sea."),
    (None, 0, ""),
    ("B", 10, "People"),
    ("R", 9, "Saltgate employed 640 people at 30 June 2025, compared with 610 a year earlier. The lost-time"),
    ("R", 9, "injury rate improved to 4.2 per million hours worked from 5.0."),
    (None, 0, ""),
    ("B", 10, "Outlook"),
    ("R", 9, "Saltgate expects to process about 128,000 tonnes in full-year 2025, compared with 117,300"),
    ("R", 9, "tonnes in 2024. A new portioning line at Sildavik will add 9,000 tonnes of annual capacity"),
    ("R", 9, "from October 2025. Management expects air freight rates to remain high through the winter"),
    ("R", 9, "and will add a third weekly sea connection to the continent in the fourth quarter."),
    (None, 0, ""),
    ("R", 8, "Saltgate Processing & Logistics AS, Harbour Road 12, Brennvik. Contact: ir@saltgate.example"),
]


def esc(s):
    return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def content_stream():
    y = 800
    ops = []
    for font, size, text in LINES:
        if font is None:
            y -= 8
            continue
        ops.append("BT /%s %d Tf 1 0 0 1 50 %d Tm (%s) Tj ET"
                   % ("F2" if font == "B" else "F1", size, y, esc(text)))
        y -= size + 4
    assert y > 40, "text runs off the page"
    return ("\n".join(ops) + "\n").encode("latin-1")


def build():
    stream = content_stream()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref_pos = len(out)
    out += b"xref\n0 %d\n" % (len(objs) + 1)
    out += b"0000000000 65535 f \n"
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref_pos)
    with open(OUT, "wb") as f:
        f.write(bytes(out))
    return OUT


if __name__ == "__main__":
    print("wrote", build())
