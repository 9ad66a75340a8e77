"""Small builders for test inputs."""

from __future__ import annotations

from copilot.types import Citation, FactRow


def make_pdf(text: str) -> bytes:
    """A minimal one-page PDF whose page shows ``text`` (enough for pypdf to extract it)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def source(n: int, text: str, row: FactRow | None = None, kind: str = "text", facts: list[FactRow] | None = None,
           date: str = "") -> Citation:
    facts = facts if facts is not None else ([row] if row is not None else [])
    return Citation(n=n, doc_id=f"doc{n}", text=text, facts=facts, kind="row" if facts else kind,
                    score=1.0 - n / 100, date=date)


def row(entity: str, period: str, value: float, unit: str = "t", series: str = "magnet_exports_t") -> FactRow:
    return FactRow(series=series, entity=entity, period=period, value=value, unit=unit, source_doc="src")
