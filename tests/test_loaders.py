import pytest

from copilot.errors import LoadError
from retrieval.loaders import load_file
from tests.helpers import make_pdf


def test_markdown_front_matter(tmp_path):
    p = tmp_path / "a.md"
    p.write_text('---\ndoc_id: abc\ntitle: "T: x"\npublisher: P\ndate: "2025-12"\nseed: s.txt\n---\n# H\nBody 582 t.\n')
    doc = load_file(p)
    assert (doc.doc_id, doc.title, doc.publisher, doc.date, doc.seed) == ("abc", "T: x", "P", "2025-12", "s.txt")
    assert doc.id_declared
    assert "Body 582 t." in doc.text and "doc_id" not in doc.text


def test_plain_text_is_named_by_its_path_and_titled_by_heading_or_stem(tmp_path):
    p = tmp_path / "sub" / "My Notes.txt"
    p.parent.mkdir()
    p.write_text("just words about magnets")
    doc = load_file(p)
    assert doc.doc_id == "My Notes.txt" and doc.title == "My Notes" and not doc.id_declared
    assert load_file(p, root=tmp_path).doc_id == "sub/My Notes.txt"


def test_html_drops_scripts_and_keeps_title(tmp_path):
    p = tmp_path / "x.html"
    p.write_text("<html><head><title>Page T</title><script>var a=1;</script></head>"
                 "<body><p>Lynas <b>LYC</b> output</p></body></html>")
    doc = load_file(p)
    assert doc.title == "Page T" and "Lynas" in doc.text and "var a" not in doc.text


def test_pdf_text_is_extracted(tmp_path):
    p = tmp_path / "r.pdf"
    p.write_bytes(make_pdf("Exports reached 6150 tons"))
    assert "6150" in load_file(p).text


@pytest.mark.parametrize("name,content,reason", [
    ("empty.txt", b"", "empty file"),
    ("blank.md", b"   \n\n", "empty file"),
    ("binary.txt", bytes(range(256)) * 20, "binary"),
    ("broken.pdf", b"%PDF-1.4\nthis is not a pdf at all", "PDF"),
    ("ragged.csv", b"a,b,c\n1,2,3\n4,5\n", "row 3 has 2 fields"),
    ("badvalue.csv", b"series,entity,period,value,unit,source_doc\ns,e,2025,abc,t,d\n", "not a number"),
    ("headonly.csv", b"a,b\n", "no data rows"),
    ("notes.docx", b"PK\x03\x04", "unsupported file type"),
])
def test_bad_files_raise_a_clear_reason(tmp_path, name, content, reason):
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(LoadError, match=reason):
        load_file(p)


def test_fact_csv_gives_typed_rows(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("series,entity,period,value,unit,qualifier,source_doc\nx_t,Japan,2025-11,\"1,305\",t,,d1\n")
    doc = load_file(p)
    assert doc.facts[0].value == 1305.0 and doc.facts[0].entity == "Japan" and doc.doc_id == "t.csv"


def test_plain_csv_gives_records(tmp_path):
    p = tmp_path / "plain.csv"
    p.write_text("company,ticker\nLynas,LYC\n")
    assert load_file(p).records == ["company: Lynas; ticker: LYC"]
