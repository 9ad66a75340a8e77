#!/usr/bin/env python3
"""Build docs/brannock_hale_tavenland_dairy_review_oct_2025.pdf.

Standard library only. The file is a hand-assembled PDF 1.4 document with two
A4 pages. Text uses the 14 standard fonts (Helvetica, Helvetica-Bold), so no
font files are embedded. Each page is described as a list of lines; table
rows are drawn by placing each cell at a fixed x offset.
"""
from pathlib import Path

OUT = Path(__file__).resolve().parent / "docs" / "brannock_hale_tavenland_dairy_review_oct_2025.pdf"

PAGE_W, PAGE_H = 595, 842          # A4 in points
MARGIN_X = 60
START_Y = 790
TABLE_X = [MARGIN_X, 310, 395, 475]

# (style, text) for text lines, ("tr", bold, cells) for table rows.
FONTS = {
    "title": ("F2", 16, 22),
    "head": ("F2", 11.5, 17),
    "body": ("F1", 9.5, 13.5),
    "note": ("F1", 7.5, 11),
}

PAGE1 = [
    ("title", "Brannock Hale Research"),
    ("head", "Tavenland Dairy Sector Review - October 2025"),
    ("note", "Sector report | Rosmund, 14 October 2025 | Lead analyst: Ingrid Marsh-Olafsen"),
    ("body", ""),
    ("head", "1. Summary"),
    ("body", "Milk supply in Tavenland is growing again after two flat years. Dairies collected 6,059.6"),
    ("body", "thousand tonnes of raw milk in 2024 (about 5,883 million litres). We estimate 6,168"),
    ("body", "thousand tonnes for 2025, up 1.8%, and forecast 6,236 thousand tonnes for 2026 as the"),
    ("body", "national herd shrinks slowly but yields per cow keep rising."),
    ("body", ""),
    ("body", "The flash estimate for September 2025 puts collection at 479.6 thousand tonnes, 1.1% more"),
    ("body", "than in September 2024. Farm-gate prices have climbed every month since March; we expect"),
    ("body", "the national average for 2025 to reach TVC 481 per 100 kg, against TVC 442.5 in 2024,"),
    ("body", "and a further rise to TVC 489 in 2026."),
    ("body", ""),
    ("head", "2. Commodity prices"),
    ("body", "Butter has been the star of the past eighteen months. The wholesale price averaged"),
    ("body", "TVC 69,100 per tonne in 2024 and has stayed above TVC 74,000 since April 2025. We think"),
    ("body", "the peak is behind us: more cream is going into butter, and we see the 2026 average"),
    ("body", "easing to TVC 71,800. Block cheese should keep edging up on firm retail demand. Skim"),
    ("body", "milk powder is oversupplied worldwide, and prices have fallen every month since November 2024."),
    ("body", "They remain comfortably above the public intervention price of TVC 21,800 per tonne."),
    ("body", ""),
    ("head", "3. Processors"),
    ("body", "Five processors take in about 90% of the country's milk. Aldermoor Dairy Cooperative is"),
    ("body", "by far the largest, with roughly 37% of national intake in 2024, followed by Pellworth"),
    ("body", "Foods (about 19%) and Vinterbrook Cheese Co. (about 14%). Thornhaugh Milk Cooperative and"),
    ("body", "Sorrel Bay Dairies complete the top five. The 41 small dairies outside the top five are"),
    ("body", "losing volume as farms switch to the large buyers, which pay higher prices."),
    ("body", ""),
    ("body", "Investors should note that Aldermoor's financial year runs from April to March, while the"),
    ("body", "other large processors report by calendar year; half-year figures are not comparable"),
    ("body", "without adjustment. Sorrel Bay has been the fastest-growing buyer of milk in 2025."),
]

PAGE2 = [
    ("head", "4. Forecast table"),
    ("note", "Tavenland, national totals and averages. e = estimate, f = forecast. Prices in TVC."),
    ("body", ""),
    ("tr", True, ["Indicator", "2024", "2025e", "2026f"]),
    ("tr", False, ["Milk collection (thousand tonnes)", "6,059.6", "6,168", "6,236"]),
    ("tr", False, ["Farm-gate milk price (TVC/100 kg)", "442.5", "481", "489"]),
    ("tr", False, ["Butter, wholesale (TVC/t)", "69,100", "74,600", "71,800"]),
    ("tr", False, ["Block cheese, wholesale (TVC/t)", "47,270", "51,300", "52,400"]),
    ("tr", False, ["Skim milk powder (TVC/t)", "26,570", "24,400", "24,900"]),
    ("tr", False, ["Dairy export value (TVC bn)", "11.52", "12.21", "12.70"]),
    ("tr", False, ["Dairy cows, year-end (thousand)", "548.2", "541.5", "536.0"]),
    ("body", ""),
    ("head", "5. Exports"),
    ("body", "Dairy exports have risen by about 6% in value so far in 2025. Northern Europe still"),
    ("body", "takes close to two fifths of export value, but most of the growth is"),
    ("body", "coming from further away: shipments to the Gulf states and to China are each up by around"),
    ("body", "15% in value. Sales to the United Kingdom have slipped. We forecast export value of"),
    ("body", "TVC 12.21 billion for 2025 and TVC 12.70 billion for 2026."),
    ("body", ""),
    ("head", "6. Policy"),
    ("body", "The Ministry of Food, Farming and Rural Affairs is expected to publish the 2026 rates of"),
    ("body", "its Dairy Resilience Package in early November. We expect higher grazing payments and a"),
    ("body", "more generous bonus for low-emission milk, and no change to the powder intervention price."),
    ("body", ""),
    ("head", "7. Risks"),
    ("body", "- A sharper fall in butter prices if Northern European supply recovers faster than expected."),
    ("body", "- Further weakness in skim milk powder, which hurts processors with large drying capacity."),
    ("body", "- Dry summers in Skarra Coast, where grass growth has been unreliable three years out of five."),
    ("body", "- Higher energy prices for evaporation and drying in the winter months."),
    ("body", ""),
    ("note", "Brannock Hale Research, Rosmund. This report is for information only and is not investment advice."),
]


def escape(text):
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def text_op(font, size, x, y, text):
    return "BT /%s %s Tf %d %s Td (%s) Tj ET" % (font, size, x, round(y, 1), escape(text))


def content_stream(lines):
    ops = []
    y = START_Y
    for line in lines:
        if line[0] == "tr":
            _, bold, cells = line
            font = "F2" if bold else "F1"
            for x, cell in zip(TABLE_X, cells):
                ops.append(text_op(font, 9.5, x, y, cell))
            y -= 14.5
            continue
        style, text = line
        font, size, step = FONTS[style]
        if text:
            ops.append(text_op(font, size, MARGIN_X, y, text))
        y -= step
    if y < 40:
        raise SystemExit("text runs off the page (y=%s)" % y)
    return "\n".join(ops).encode("latin-1")


def build():
    objs = {}
    # 1 catalog, 2 pages tree, 3/4 fonts, then per page: content + page.
    objs[3] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    objs[4] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
    page_ids = []
    next_id = 5
    for lines in (PAGE1, PAGE2):
        data = content_stream(lines)
        objs[next_id] = b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"
        objs[next_id + 1] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
            b"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>"
            % (PAGE_W, PAGE_H, next_id))
        page_ids.append(next_id + 1)
        next_id += 2
    objs[1] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objs[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % p for p in page_ids), len(page_ids))
    info_id = next_id
    objs[info_id] = (b"<< /Title (Tavenland Dairy Sector Review - October 2025) "
                     b"/Author (Brannock Hale Research) /CreationDate (D:20251014090000) >>")

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for num in sorted(objs):
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + objs[num] + b"\nendobj\n"
    xref = len(out)
    count = max(objs) + 1
    out += b"xref\n0 %d\n" % count
    out += b"0000000000 65535 f \n"
    for num in range(1, count):
        out += b"%010d 00000 n \n" % offsets[num]
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        count, info_id, xref)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(bytes(out))
    print("wrote", OUT)


if __name__ == "__main__":
    build()
