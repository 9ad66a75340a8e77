"""Builds docs/port_aldane_environment_2025.pdf by hand (standard library only).

One A4 page, Helvetica / Helvetica-Bold, uncompressed content stream, exact xref offsets.
Run: python3 make_pdf.py
"""
import os
import textwrap

TITLE = "Port Aldane Airport Ltd - Environmental Fact Sheet 2025"
SUBTITLE = "Published 20 January 2026. Covers the calendar year 1 January to 31 December 2025."

SECTIONS = [
    ("Traffic",
     "Port Aldane handled 5.61 million passengers and 48,950 aircraft movements in 2025, making it "
     "the second-busiest airport in the Kingdom of Halvoria. Growth in summer leisure flying meant "
     "that more fuel was dispensed than in any previous year."),
    ("Fuel and sustainable aviation fuel",
     "A total of 233.4 million litres of jet fuel was uplifted through the airport hydrant system in 2025. "
     "Of this, 4.2 million litres was sustainable aviation fuel (SAF) blend component, equal to 1.8% "
     "of total uplift, up from 0.9% in 2024. The SAF was supplied through a three-year agreement "
     "signed with a regional refiner in 2024. The airport aims for SAF to reach 5% of uplift by 2030."),
    ("Emissions",
     "Scope 1 and 2 emissions under the airport's direct control fell 6.2% to 9,850 tonnes of CO2e. "
     "Measured per passenger, this is 1.76 kg of CO2e, the lowest figure on record. The target is net "
     "zero for airport-controlled emissions by 2035."),
    ("Energy and ground operations",
     "The 4.6 MW solar array on the former cargo apron supplied 38% of the airport's electricity. "
     "At 31 December 2025, 64% of ground support vehicles were fully electric, and fixed electrical "
     "ground power was available at every contact stand, reducing the use of aircraft auxiliary power units."),
    ("Noise and waste",
     "There were 312 night movements between 23:30 and 06:00, within the annual limit of 400 set in "
     "the airport's noise action plan. Some 71% of terminal waste was recycled or composted, compared "
     "with 66% a year earlier. Noise complaints fell to 184 from 221."),
]


def esc(s):
    return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def lines():
    """(font, size, text) per output line; text is what a PDF text extractor should read."""
    out = [("F2", 14, TITLE), ("F1", 9, SUBTITLE), ("F1", 10, "")]
    for head, body in SECTIONS:
        out.append(("F2", 11, head))
        for ln in textwrap.wrap(body, width=98):
            out.append(("F1", 10, ln))
        out.append(("F1", 10, ""))
    out.append(("F1", 9, "Port Aldane Airport Ltd, Port Aldane, Kingdom of Halvoria. Figures are unaudited."))
    return out


def build(path):
    ops = ["BT", "50 790 Td"]
    for font, size, text in lines():
        ops.append(f"/{font} {size} Tf")
        ops.append(f"({esc(text)}) Tj")
        ops.append(f"0 -{int(size * 1.45)} Td")
    ops.append("ET")
    content = ("\n".join(ops) + "\n").encode("latin-1")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"endstream",
    ]
    data = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(data))
        data += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(data)
    data += f"xref\n0 {len(objs) + 1}\n".encode()
    data += b"0000000000 65535 f \n"
    for off in offsets:
        data += f"{off:010d} 00000 n \n".encode()
    data += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    with open(path, "wb") as fh:
        fh.write(data)


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    build(os.path.join(here, "docs", "port_aldane_environment_2025.pdf"))
    print("\n".join(t for _, _, t in lines()))
