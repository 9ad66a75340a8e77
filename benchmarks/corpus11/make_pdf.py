#!/usr/bin/env python3
"""Writes docs/meridane_kestria_charging_report_autumn_2025.pdf.

A minimal hand-made PDF 1.4 writer: two US-letter pages, the standard
Type 1 fonts Helvetica and Helvetica-Bold, text placed line by line and
table cells placed at fixed x positions. Standard library only.
"""
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET = HERE / "docs" / "meridane_kestria_charging_report_autumn_2025.pdf"

LEFT = 66
TOP = 740

# A page is a list of items:
#   ("h1"|"h2"|"p"|"small", text)   one line of running text ("" = gap)
#   ("row", bold, [cell, ...])       one table row, cells at COLS x positions
COLS = [LEFT, 300, 390, 480]

PAGE_1 = [
    ("h1", "Meridane Research Partners"),
    ("h2", "Kestria Public EV Charging Market Report - Autumn 2025"),
    ("small", "Sector report | 12 November 2025 | Analysts: Priya Vanterpool, Jonas Hekkelund"),
    ("p", ""),
    ("h2", "1. Executive summary"),
    ("p", "Public charging in Kestria kept growing at pace in 2025. We estimate that public charge"),
    ("p", "points will deliver 1,241 GWh of electricity in 2025, up 27.8% on the 971.0 GWh recorded"),
    ("p", "in 2024. Public charging revenue, including VAT, should reach EUR 712 million in 2025"),
    ("p", "(2024: EUR 571 million). For 2026 we forecast public charging revenue of EUR 861 million,"),
    ("p", "with energy delivered rising to 1,530 GWh."),
    ("p", ""),
    ("h2", "2. Network build-out"),
    ("p", "The number of public charge points rose from 29,800 at the end of 2023 to 38,600 at the"),
    ("p", "end of 2024. We expect 46,900 by the end of 2025 and 55,200 by the end of 2026. High-power"),
    ("p", "charge points (150 kW and above) should grow from 5,850 to 10,100 over the same two years."),
    ("p", "The battery-electric car fleet reached 401,500 vehicles at the end of 2024, and we expect"),
    ("p", "528,000 by the end of 2025."),
    ("p", ""),
    ("h2", "3. Competitive landscape"),
    ("p", "Solvik Charge remains the largest network by number of public charge points, followed by"),
    ("p", "Voltmark Energie and Kelvra Mobility. Voltmark's network consists mostly of curbside AC"),
    ("p", "chargers, while Kelvra and Ionreach concentrate on high-power hubs along motorways and"),
    ("p", "freight routes. The five largest named operators together ran 48.7% of all public charge"),
    ("p", "points at the end of 2024; the rest is split among more than 140 municipal utilities,"),
    ("p", "retailers and hotel chains."),
    ("p", ""),
    ("p", "Solvik's third-quarter results showed HPC utilisation rising to 14.2%, still below the 15%"),
    ("p", "threshold for the regulator's new capacity-charge discount. We expect at least one"),
    ("p", "acquisition of a smaller regional operator by one of the large networks in 2026."),
]

PAGE_2 = [
    ("h2", "4. Forecast table"),
    ("small", "Kestria, all public charge points. e = estimate, f = forecast."),
    ("p", ""),
    ("row", True, ["Indicator", "2024", "2025e", "2026f"]),
    ("row", False, ["Public charge points, end of year", "38,600", "46,900", "55,200"]),
    ("row", False, ["of which HPC (150 kW and above)", "5,850", "7,900", "10,100"]),
    ("row", False, ["Energy delivered (GWh)", "971.0", "1,241", "1,530"]),
    ("row", False, ["Public charging revenue (EUR m)", "571", "712", "861"]),
    ("row", False, ["Avg ad-hoc AC price (EUR/kWh)", "0.49", "0.48", "0.47"]),
    ("row", False, ["Avg ad-hoc HPC price (EUR/kWh)", "0.69", "0.66", "0.64"]),
    ("row", False, ["BEV fleet, end of year (thousand)", "401.5", "528.0", "671.0"]),
    ("p", ""),
    ("h2", "5. Electricity costs and regulation"),
    ("p", "Lower wholesale electricity prices in the spring and early summer of 2025 eased operators'"),
    ("p", "energy purchase costs, but the regulator's 2026 tariff decision brings a double-digit"),
    ("p", "increase in network charges for high-power sites connected at medium voltage. A 40%"),
    ("p", "discount on the capacity charge for sites with utilisation below 15% softens the impact"),
    ("p", "for newer hubs. We estimate that network charges and electricity purchases account for"),
    ("p", "about 45% of a typical HPC operator's operating costs."),
    ("p", ""),
    ("h2", "6. Risks"),
    ("p", "- Slower sales of battery-electric cars if purchase incentives are cut in the 2026 budget."),
    ("p", "- Grid connection queues of 18 months or more for new HPC sites in Tarnholm."),
    ("p", "- Price competition from home charging as household electricity prices fall."),
    ("p", "- The contactless payment mandate from March 2026 requires retrofits at older chargers."),
    ("p", ""),
    ("small", "Meridane Research Partners, Tarnholm. For information only; not investment advice."),
]

STYLE = {  # kind -> (font resource, size, line advance)
    "h1": ("/HB", 17, 24),
    "h2": ("/HB", 12, 18),
    "p": ("/H", 10, 14),
    "small": ("/H", 8, 12),
}


def pdf_string(text):
    out = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return "(" + out + ")"


def page_content(items):
    ops = []
    y = TOP
    for item in items:
        if item[0] == "row":
            _, bold, cells = item
            font = "/HB" if bold else "/H"
            for x, cell in zip(COLS, cells):
                ops.append("BT %s 10 Tf 1 0 0 1 %d %d Tm %s Tj ET"
                           % (font, x, y, pdf_string(cell)))
            y -= 15
            continue
        kind, text = item
        font, size, advance = STYLE[kind]
        if text:
            ops.append("BT %s %d Tf 1 0 0 1 %d %d Tm %s Tj ET"
                       % (font, size, LEFT, y, pdf_string(text)))
        y -= advance
    if y < 50:
        raise SystemExit("page overflows: y=%d" % y)
    return "\n".join(ops).encode("cp1252")


class Writer:
    def __init__(self):
        self.objects = []

    def add(self, body):
        self.objects.append(body)
        return len(self.objects)

    def set(self, num, body):
        self.objects[num - 1] = body

    def render(self, root, info):
        buf = bytearray(b"%PDF-1.4\n%\xc7\xec\x8f\xa2\n")
        where = []
        for num, body in enumerate(self.objects, 1):
            where.append(len(buf))
            buf += b"%d 0 obj\n" % num + body + b"\nendobj\n"
        xref_at = len(buf)
        buf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.objects) + 1)
        for pos in where:
            buf += b"%010d 00000 n \n" % pos
        buf += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\n" % (
            len(self.objects) + 1, root, info)
        buf += b"startxref\n%d\n%%%%EOF\n" % xref_at
        return bytes(buf)


def main():
    w = Writer()
    catalog = w.add(b"")
    pages = w.add(b"")
    regular = w.add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica"
                    b" /Encoding /WinAnsiEncoding >>")
    bold = w.add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold"
                 b" /Encoding /WinAnsiEncoding >>")
    kids = []
    for items in (PAGE_1, PAGE_2):
        data = page_content(items)
        stream = w.add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(data), data))
        kids.append(w.add(
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792]"
            b" /Resources << /Font << /H %d 0 R /HB %d 0 R >> >>"
            b" /Contents %d 0 R >>" % (pages, regular, bold, stream)))
    w.set(catalog, b"<< /Type /Catalog /Pages %d 0 R >>" % pages)
    w.set(pages, b"<< /Type /Pages /Count %d /Kids [%s] >>"
          % (len(kids), b" ".join(b"%d 0 R" % k for k in kids)))
    info = w.add(b"<< /Title (Kestria Public EV Charging Market Report - Autumn 2025)"
                 b" /Author (Meridane Research Partners)"
                 b" /CreationDate (D:20251112080000) >>")
    TARGET.write_bytes(w.render(catalog, info))
    print("wrote %s" % TARGET)


if __name__ == "__main__":
    main()
