#!/usr/bin/env python3
"""Build docs/corvane_market_outlook_2026.pdf by hand (raw PDF objects,
standard Helvetica fonts, no third-party packages). Run once."""
import os

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "docs",
                   "corvane_market_outlook_2026.pdf")

# Each page: list of (font, size, text); font "B" = Helvetica-Bold, "R" = Helvetica.
# An empty text gives a blank line.
PAGE1 = [
    ("B", 16, "Corvane Hospitality Analytics"),
    ("B", 13, "Veldoria Hotel Market Outlook 2026"),
    ("R", 10, "Market report | Published 14 October 2025 | Lead analyst: Mireille Okonkwo-Hart"),
    ("R", 10, ""),
    ("B", 12, "1. Summary"),
    ("R", 10, "Veldoria's hotel market is set for a third consecutive year of real growth."),
    ("R", 10, "We estimate national hotel RevPAR at EUR 84.10 for 2025, up 6.8% on 2024,"),
    ("R", 10, "supported by record international arrivals in the summer season."),
    ("R", 10, ""),
    ("R", 10, "For 2026 we forecast national RevPAR growth of 4.5%, driven mainly by ADR"),
    ("R", 10, "growth of 3.5% and a modest rise in occupancy from 70.9% (2025e) to 71.6%"),
    ("R", 10, "(2026f). Growth slows because new supply arrives faster than in 2025."),
    ("R", 10, ""),
    ("B", 12, "2. Supply"),
    ("R", 10, "The national hotel room stock stood at 58,400 rooms at mid-2025. We expect"),
    ("R", 10, "about 1,950 new rooms to open in 2025 and 2,740 rooms in 2026. Of the 2026"),
    ("R", 10, "pipeline, 1,180 rooms are in Aldervik and 610 rooms in Port Sevrin; the"),
    ("R", 10, "remainder is spread across Kastelburg, Morlan, Linnmoor and resort areas."),
    ("R", 10, ""),
    ("B", 12, "3. Aldervik"),
    ("R", 10, "The capital remains the strongest market. We forecast Aldervik hotel"),
    ("R", 10, "occupancy of 78.5% in 2026 and an ADR of EUR 151, as new airport capacity"),
    ("R", 10, "and the trade-fair calendar offset the additional rooms."),
]

PAGE2 = [
    ("B", 12, "4. National forecast table"),
    ("R", 10, "Hotels and similar establishments, whole country. e = estimate, f = forecast."),
    ("R", 10, ""),
    ("B", 10, "Indicator                          2024        2025e       2026f"),
    ("R", 10, "Occupancy (%)                      69.8        70.9        71.6"),
    ("R", 10, "ADR (EUR)                          112.82      118.62      122.77"),
    ("R", 10, "RevPAR (EUR)                       78.75       84.10       87.90"),
    ("R", 10, "RevPAR growth (%)                  -           6.8         4.5"),
    ("R", 10, ""),
    ("B", 12, "5. Risks to the outlook"),
    ("R", 10, "- The tourist tax rises to VRD 18 per person per night from April 2026."),
    ("R", 10, "- Demand from the United Kingdom has weakened and may not recover in 2026."),
    ("R", 10, "- Runway and terminal capacity at Aldervik airport limit new routes."),
    ("R", 10, "- Labour shortages push up operating costs, especially in Port Sevrin."),
    ("R", 10, ""),
    ("R", 8, "Corvane Hospitality Analytics, Aldervik. This report is for information only"),
    ("R", 8, "and does not constitute investment advice."),
]


def esc(s):
    return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def stream_for(lines):
    # Monospaced look for table rows is not required; Helvetica is fine.
    out = ["BT", "72 760 Td"]
    for font, size, text in lines:
        lead = size + 5
        out.append("/F%s %d Tf" % ("2" if font == "B" else "1", size))
        out.append("0 -%d Td" % lead)
        if text:
            out.append("(%s) Tj" % esc(text))
    out.append("ET")
    return "\n".join(out).encode("latin-1")


def build():
    objs = []  # list of bytes, object n = index+1
    objs.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objs.append(None)  # pages, filled later
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
                b"/Encoding /WinAnsiEncoding >>")
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold "
                b"/Encoding /WinAnsiEncoding >>")
    page_ids = []
    for lines in (PAGE1, PAGE2):
        data = stream_for(lines)
        objs.append(b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream")
        content_id = len(objs)
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                    b"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> "
                    b"/Contents %d 0 R >>" % content_id)
        page_ids.append(len(objs))
    kids = b" ".join(b"%d 0 R" % i for i in page_ids)
    objs[1] = b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % len(page_ids)
    objs.append(b"<< /Title (Veldoria Hotel Market Outlook 2026) "
                b"/Author (Corvane Hospitality Analytics) "
                b"/CreationDate (D:20251014090000) >>")
    info_id = len(objs)

    pdf = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(pdf)
    pdf += b"xref\n0 %d\n" % (len(objs) + 1)
    pdf += b"0000000000 65535 f \n"
    for off in offsets:
        pdf += b"%010d 00000 n \n" % off
    pdf += (b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\n"
            % (len(objs) + 1, info_id))
    pdf += b"startxref\n%d\n%%%%EOF\n" % xref
    with open(OUT, "wb") as f:
        f.write(pdf)
    print("wrote", OUT, len(pdf), "bytes")


if __name__ == "__main__":
    build()
