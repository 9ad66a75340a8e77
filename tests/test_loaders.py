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
    ("ragged.csv", b"a,b,c\n4,5\n", "row 2 has 2 fields"),
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


def test_rows_that_do_not_fit_are_left_out_and_reported(tmp_path):
    p = tmp_path / "ports.csv"
    p.write_text("port,teu_2025\nAlpha,120\nport,teu_2025\nBeta,90,extra\nGamma,n/a\nDelta,75\n")
    doc = load_file(p)
    assert [f.entity for f in doc.facts] == ["Alpha", "Delta"]
    assert doc.warnings == ["row 3 repeats the header; left out", "row 4 has 3 fields, header has 2; left out",
                            "row 5 holds no figure (a number was expected); kept as text"]


@pytest.mark.parametrize("header,cell,series,unit,period,value", [
    ("output_2025_t", "1,350", "output", "t", "2025", 1350),
    ("price_usd_per_t", "~450", "price", "USD/t", "", 450),
    ("Revenue ($m)", "45.5", "Revenue", "USD", "", 45.5e6),
    ("TEU 2024 (thousand)", "1,234", "TEU", "TEU", "2024", 1234e3),
    ("capacity_2024_mw", "1200", "capacity", "MW", "2024", 1200),
    ("Revenue Q3 2025 (€m)", "310", "Revenue", "EUR", "2025-Q3", 310e6),
    ("margin_pct", "12.5", "margin", "%", "", 12.5),
    # a bracket may date the column, or date it and give its unit; a currency code with its scale glued on
    ("Sites (2025)", "38", "Sites", "", "2025", 38),
    ("Output (2024, t)", "9,100", "Output", "t", "2024", 9100),
    ("EBIT 2024 (KSKm)", "1312", "EBIT", "KSK", "2024", 1312e6),
    ("Revenue (USD, millions)", "4.5", "Revenue", "USD", "", 4.5e6),
    ("Employees 2024", "1,240", "Employees", "employees", "2024", 1240),
    # a currency's code in lower case before 'per' or a scale; a word of three letters is no code
    ("price_tvc_per_100kg", "478.1", "price", "TVC/100kg", "", 478.1),
    ("revenue_nvk_m", "2.5", "revenue", "NVK", "", 2.5e6),
    ("fee_tax_per_t", "3", "fee tax per", "t", "", 3),
])
def test_wide_headers_give_series_unit_scale_and_period(tmp_path, header, cell, series, unit, period, value):
    p = tmp_path / "wide.csv"
    p.write_text(f'company,"{header}"\nAcme,"{cell}"\n')
    [f] = load_file(p).facts
    assert (f.label, f.unit, f.period, f.value, f.entity) == (series, unit, period, value, "Acme")


def test_long_table_with_a_period_column_and_hedges(tmp_path):
    p = tmp_path / "prices.csv"
    p.write_text("date,region,price_eur_per_mwh\n2025-01,North,85.2\nQ2 2025,North,<80\nTotal,All regions,81\n")
    facts = load_file(p).facts
    assert [(f.period, f.entity, f.value, f.unit, f.qualifier) for f in facts[:2]] == [
        ("2025-01", "North", 85.2, "EUR/MWh", ""), ("2025-Q2", "North", 80, "EUR/MWh", "below")]


def test_plain_csv_gives_records(tmp_path):
    p = tmp_path / "plain.csv"
    p.write_text("company,ticker\nLynas,LYC\n")
    assert load_file(p).records == ["company: Lynas; ticker: LYC"]


def test_a_long_table_s_unit_cell_gives_its_currency_and_scale(tmp_path):
    from retrieval.loaders import load_file

    path = tmp_path / "metrics.csv"
    path.write_text("company,quarter,metric,value,unit\n"
                    "Alta Dairy,Q2 2025,revenue,48.2,EUR million\n"
                    "Alta Dairy,Q2 2025,milk_collected,126.8,thousand tonnes\n"
                    "Alta Dairy,Q2 2025,herds,412,farms\n")
    facts = {f.series: f for f in load_file(path).facts}
    assert (facts["revenue"].value, facts["revenue"].unit) == (48.2e6, "EUR")
    assert (facts["milk_collected"].value, facts["milk_collected"].unit) == (126800, "t")
    assert (facts["herds"].value, facts["herds"].unit) == (412, "farms")


def test_a_long_table_whose_value_column_has_its_own_name(tmp_path):
    from retrieval.loaders import load_file

    path = tmp_path / "bakery_ops.csv"
    path.write_text("bakery;period_label;kpi;reading;unit\n"
                    "Harbour Bakeries;Q3 2024;loaves_baked;15200;thousand\n"
                    "Harbour Bakeries;2025Q3;loaves_baked;16850;thousand\n"
                    "Harbour Bakeries;2025Q3;waste_share;3.1;%\n")
    facts = [(f.entity, f.period, f.series, f.value, f.unit) for f in load_file(path).facts]
    assert facts == [("Harbour Bakeries", "2024-Q3", "loaves_baked", 15200e3, ""),
                     ("Harbour Bakeries", "2025-Q3", "loaves_baked", 16850e3, ""),
                     ("Harbour Bakeries", "2025-Q3", "waste_share", 3.1, "%")]


def test_hard_wrapped_lines_are_joined_into_their_sentences(tmp_path):
    from retrieval.loaders import unwrap

    wrapped = ("Harbour Bakeries plc - Trading note\n"
               "The group baked 41,200 tonnes of bread in the first half of 2025, compared\n"
               "with 39,900 tonnes a year earlier. Of the half-year total, 19,800 tonnes were\n"
               "baked in the first quarter and 21,400 tonnes in the second quarter. Flour came\n"
               "from mills in the Republic of\n"
               "Osterland.\n"
               "2. Outlook\n"
               "- Capacity: 90,000 tonnes a year\n"
               "- Staff: 1,150\n")
    text = unwrap(wrapped)
    assert "Of the half-year total, 19,800 tonnes were baked in the first quarter and 21,400 tonnes in the " \
           "second quarter." in text
    assert "Republic of Osterland." in text
    # a title, a numbered heading and list items keep their own lines
    assert text.splitlines()[0] == "Harbour Bakeries plc - Trading note"
    assert "\n2. Outlook\n- Capacity: 90,000 tonnes a year\n- Staff: 1,150" in text
    path = tmp_path / "note.txt"
    path.write_text(wrapped)
    assert "compared with 39,900 tonnes" in load_file(path).text


def test_a_document_table_becomes_one_readable_line_per_row(tmp_path):
    """Each figure of an HTML or Markdown table stands beside its column's name and unit, so a row is a passage."""
    html = tmp_path / "notice.html"
    html.write_text("<html><head><title>Ferry notice</title></head><body><p>Crossings by <strong>operator"
                    "</strong>,\n   second quarter:</p><table><tr><th>Operator</th><th>April-June 2025 (sailings)</th>"
                    "<th>Change (%)</th></tr><tr><td>Kell Ferries</td><td>1,240</td><td>+4.2</td></tr></table>"
                    "</body></html>")
    text = load_file(html).text
    assert "Crossings by operator, second quarter:" in text
    assert "Kell Ferries: April-June 2025 was 1,240 sailings; Change +4.2%." in text
    md = tmp_path / "bakery.md"
    md.write_text("## Summary\n\n| € million unless stated | H1 2025 | H1 2024 |\n|---|---|---|\n"
                  "| Revenue | 88.4 | 80.1 |\n| Loaves baked (millions) | 41.2 | 39.9 |\n\n| Month | 2025 (tonnes) |\n"
                  "|---|---|\n| July | 1,712 |\n")
    text = load_file(md).text
    assert "Revenue: H1 2025 was €88.4 million; H1 2024 was €80.1 million." in text
    assert "Loaves baked: H1 2025 was 41.2 million; H1 2024 was 39.9 million." in text
    assert "July 2025 was 1,712 tonnes." in text  # a month under a year's column is that year's month


def test_a_table_caption_heads_its_rows_and_gives_their_unit(tmp_path):
    """The short line above a table is its caption: a heading over every chunk of its rows, and the unit at its end
    that of the figures; a row named by a stretch of months takes the year of each column."""
    md = tmp_path / "parcels.md"
    md.write_text("## Monthly volumes\n\nParcels delivered by all carriers, thousands\n\n| Month | 2025 | 2024 | "
                  "Change (%) |\n|---|--:|--:|--:|\n| May | 412 | 380 | +8.4 |\n| January–May | 1,950 | 1,800 | |\n")
    text = load_file(md).text
    assert "#### Parcels delivered by all carriers, thousands" in text
    assert "May 2025 was 412 thousand; May 2024 was 380 thousand; Change +8.4%." in text
    assert "January–May 2025 was 1,950 thousand; January–May 2024 was 1,800 thousand." in text
    html = tmp_path / "fees.html"
    html.write_text("<html><body><table><caption>Harbour fees (EUR million)</caption><tr><th>Harbour</th>"
                    "<th>2025</th></tr><tr><td>Oldwick</td><td>3.4</td></tr></table></body></html>")
    text = load_file(html).text
    assert "#### Harbour fees (EUR million)" in text and "Oldwick: 2025 was €3.4 million." in text
    md.write_text("Table 2 - Marina key figures (GBP million unless otherwise stated)\n\n| Metric | H1 2025 |\n|---|--:|\n"
                  "| Berth income | 12.6 |\n| Berths (units) | 840 |\n")
    text = load_file(md).text
    assert "Berth income: H1 2025 was £12.6 million." in text and "Berths: H1 2025 was 840 units." in text


def test_a_long_caption_that_calls_itself_a_table_gives_its_unit_and_dot_leaders_join_a_label_to_its_figure(
        tmp_path):
    md = tmp_path / "ferries.md"
    md.write_text("Table 1 - Sundholm Ferries key figures by quarter, FY2025/26 first half compared with FY2024/25 "
                  "first half (NOK million unless stated otherwise)\n\n| Item | Q1 FY2025/26 (Apr-Jun 2025) | "
                  "H1 FY2024/25 |\n|---|--:|--:|\n| Ticket revenue | 412 | 760 |\n"
                  "| Crossings (units) | 2,100 | 4,050 |\n")
    text = load_file(md).text
    # (a header ending in its period's bracket is joined to its figure by 'was')
    assert "Ticket revenue: Q1 FY2025/26 (Apr-Jun 2025) was NOK 412 million; H1 FY2024/25 was NOK 760 million." in text
    assert "Crossings: Q1 FY2025/26 (Apr-Jun 2025) was 2,100 units;" in text
    md.write_text("| Month | Fare (NOK per 100 km) |\n|---|--:|\n| March 2025 | 61.5 |\n")
    assert "March 2025: Fare NOK 61.5/100km." in load_file(md).text
    txt = tmp_path / "release.txt"
    txt.write_text("AT A GLANCE (H1 2025)\n\n  Ticket revenue .......... NOK 812 million\n"
                   "  Crossings . . . . . 4,300\n\nThe year ends in March... as ever.\n")
    text = load_file(txt).text
    assert "Ticket revenue: NOK 812 million" in text and "Crossings: 4,300" in text
    assert "ends in March... as ever" in text  # an ellipsis in prose is no leader


def test_an_html_heading_is_one_markdown_heading_line(tmp_path):
    page = tmp_path / "ranking.html"
    page.write_text("<html><body><h2>Leakage <em>ranking</em> 2024</h2><ol><li>Corrin Bay Water — 15.2%</li></ol>"
                    "</body></html>")
    assert "## Leakage ranking 2024\n" in load_file(page).text


def test_a_price_per_unit_in_a_header_goes_with_each_figure(tmp_path):
    """'(EUR/MWh)' and '(ct/kWh)' are units of price: each cell is written with its unit and joined to its column's
    name, so a month's line states every price as a figure of its own column."""
    md = tmp_path / "grain.md"
    md.write_text("| Month | Barley 2025 (EUR/t) | Bread price 2025 (ct/loaf) | Milled 2025 (t) |\n|---|--:|--:|--:|\n"
                  "| March | 212.5 | 84.0 | 1,210 |\n")
    text = load_file(md).text
    # a month under a column of a year is that year's month ('Barley March 2025')
    assert "March: Barley March 2025 was €212.5/t; Bread price March 2025 was 84.0 ct/loaf; Milled March 2025 was " \
           "1,210 t." in text
    from copilot.numbers import extract_numbers
    assert [(n.value, n.unit) for n in extract_numbers(text) if n.kind == "money"] == [(212.5, "EUR/t"),
                                                                                       (84.0, "ct/loaf")]
