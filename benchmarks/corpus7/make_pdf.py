"""Write docs/port_aldercove_coffee_h1_2025.pdf: a one-page, uncompressed PDF.

Standard library only. Text is drawn with Helvetica / Helvetica-Bold using Tj
operators; the xref table is built from the real byte offsets of each object.
"""
import os
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "docs", "port_aldercove_coffee_h1_2025.pdf")

# (style, text): style "T" = title, "H" = heading, "P" = paragraph, "B" = blank line
CONTENT = [
    ("T", "Port of Aldercove Authority"),
    ("H", "Coffee Cargo Report - First Half 2025 (January to June 2025)"),
    ("P", "Published 25 July 2025 by the Statistics and Planning Office, Port of Aldercove, "
          "Republic of Vellmar."),
    ("B", ""),
    ("H", "1. Green coffee discharged"),
    ("P", "The port handled 2,440 twenty-foot containers of green coffee in the first half of 2025, "
          "compared with 2,310 containers in the first half of 2024. Of the half-year total, "
          "1,180 containers were discharged in the first quarter and 1,260 containers in the "
          "second quarter. At a standard load of 320 bags of 60 kg (19.2 tonnes) per container, "
          "the half-year volume is equivalent to about 46,850 tonnes. Aldercove receives roughly "
          "95% of the green coffee imported into Vellmar; the rest arrives by rail through the "
          "northern border crossing at Tessel."),
    ("B", ""),
    ("H", "2. Roasted coffee loaded for export"),
    ("P", "Outbound, 410 containers of roasted coffee were loaded in the first half of 2025. "
          "These export loadings are counted separately and are not part of the green coffee "
          "figures in section 1."),
    ("B", ""),
    ("H", "3. Dwell time and charges"),
    ("P", "The average dwell time of coffee containers fell to 6.4 days in the first half of 2025, "
          "from 8.1 days a year earlier, helped by the customs scanning lane opened in February. "
          "The terminal handling charge for a 20-ft coffee container has been EUR 185 since "
          "1 January 2025 (2024: EUR 172). Phytosanitary officers inspected 212 coffee containers "
          "during the half."),
    ("B", ""),
    ("H", "4. Storage"),
    ("P", "Bonded warehouse capacity for coffee within the port estate was 38,000 tonnes at "
          "30 June 2025. A further 6,000 tonnes will be added when the new East Quay warehouse "
          "operated by Greyhaven Green Coffee opens in October 2025."),
    ("B", ""),
    ("P", "All container figures refer to full containers. Enquiries: statistics@aldercove-port.example"),
]


def esc(s: str) -> str:
    return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def build_stream() -> bytes:
    ops = ["BT"]
    y = 750
    x = 56
    first = True
    for style, text in CONTENT:
        if style == "B":
            y -= 8
            continue
        if style == "T":
            font, size, lead, width = "F2", 16, 22, 60
        elif style == "H":
            font, size, lead, width = "F2", 11, 16, 85
        else:
            font, size, lead, width = "F1", 10, 14, 98
        for line in textwrap.wrap(text, width) or [""]:
            ops.append(f"/{font} {size} Tf")
            if first:
                ops.append(f"{x} {y} Td")
                first = False
                prev_y = y
            else:
                ops.append(f"0 {y - prev_y} Td")
                prev_y = y
            ops.append(f"({esc(line)}) Tj")
            y -= lead
    ops.append("ET")
    return ("\n".join(ops) + "\n").encode("latin-1")


def build_pdf() -> bytes:
    stream = build_stream()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"endstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref_pos = len(out)
    out += f"xref\n0 {len(objs) + 1}\n".encode()
    out += b"0000000000 65535 f \n"
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += (f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\n"
            f"startxref\n{xref_pos}\n%%EOF\n").encode()
    return bytes(out)


if __name__ == "__main__":
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "wb") as fh:
        fh.write(build_pdf())
    print("wrote", OUT)
