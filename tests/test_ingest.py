import json

import pytest
from click.testing import CliRunner

from copilot.cli import cli
from tests.helpers import make_pdf


def _bad_folder(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.md").write_text("# Good\nMP Materials runs the Mountain Pass mine.")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "fake.txt").write_bytes(bytes(range(256)) * 10)
    (folder / "bad.csv").write_text("a,b\n1,2,3\n")
    (folder / "corrupt.pdf").write_bytes(make_pdf("x")[:60])
    return folder


def test_bad_files_are_reported_and_the_good_one_indexed(runtime, tmp_path):
    report = runtime.ingest([_bad_folder(tmp_path)], progress=False)
    status = {p.split("/")[-1]: f.status for f, p in ((f, f.path) for f in report.files)}
    assert status == {"good.md": "added", "empty.txt": "failed", "fake.txt": "failed", "bad.csv": "failed",
                      "corrupt.pdf": "failed"}
    assert report.partial
    assert all(f.reason for f in report.by_status("failed"))
    assert runtime.search("Mountain Pass mine", 1)[0].chunk.doc_id == "in/good.md"


def test_cli_exit_code_says_partial(tmp_path, monkeypatch):
    monkeypatch.setenv("COPILOT_EMBEDDER", "fake")
    result = CliRunner().invoke(cli, ["ingest", "--json", str(_bad_folder(tmp_path))])
    assert result.exit_code == 2, result.output
    data = json.loads(result.output)
    assert sum(f["status"] == "failed" for f in data["files"]) == 4


def test_reingest_writes_nothing_and_a_change_replaces_only_that_file(runtime, tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "a.md").write_text("# A\nAlpha text about Japan magnets.")
    (folder / "b.md").write_text("# B\nBeta text about US magnets.")
    first = runtime.ingest([folder], progress=False)
    assert [f.status for f in first.files] == ["added", "added"]
    before = set(runtime.store.chunks.get(include=[])["ids"])

    second = runtime.ingest([folder], progress=False)
    assert [f.status for f in second.files] == ["unchanged", "unchanged"] and second.chunks_written == 0
    assert set(runtime.store.chunks.get(include=[])["ids"]) == before

    (folder / "b.md").write_text("# B\nBeta text, revised: Lynas output.")
    third = runtime.ingest([folder], progress=False)
    assert [f.status for f in third.files] == ["unchanged", "replaced"]
    after = set(runtime.store.chunks.get(include=[])["ids"])
    a_ids = {i for i in before if i.startswith("c/a.md:")}
    assert a_ids and a_ids <= after  # a's chunks untouched
    assert not ({i for i in before if i.startswith("c/b.md:")} & after)  # b's old chunks gone
    assert runtime.search("Lynas output", 1)[0].chunk.doc_id == "c/b.md"


class _Boom(Exception):
    pass


def test_interrupted_ingest_stays_consistent_and_resumes(runtime, tmp_path, settings):
    folder = tmp_path / "big"
    folder.mkdir()
    (folder / "long.md").write_text("# Long\n" + " ".join(f"Sentence {i} about magnet exports." for i in range(900)))
    settings.embed_batch = 4
    real_embed = runtime.embedder.embed
    calls = {"n": 0}

    def flaky(texts):
        calls["n"] += 1
        if calls["n"] == 3:
            raise _Boom("power cut")
        return real_embed(texts)

    runtime.embedder.embed = flaky
    with pytest.raises(_Boom):
        runtime.ingest([folder], progress=False)
    written = runtime.store.count()
    assert written == 8  # two batches landed
    assert runtime.search("magnet exports", 3) == []  # an uncommitted document is invisible

    runtime.embedder.embed = real_embed
    report = runtime.ingest([folder], progress=False)
    assert report.files[0].status == "added"
    total = report.files[0].chunks
    assert runtime.store.count() == total > written
    assert runtime.search("magnet exports", 3)


def test_bundled_corpus_ingests_cleanly(corpus_runtime):
    stats = corpus_runtime.store.stats()
    assert stats["documents"] == 5 and stats["tables"] == 3 and stats["chunks"] > 30


def test_a_chunk_keeps_the_heading_of_the_section_it_starts_in():
    from retrieval.ingest import with_headings

    text = ("FERRY TRAFFIC, H1 2025\n- Cars: 412,000 (H1 2024: 398,000)\n- Lorries: 61,500\nFINANCIALS\n"
            "Ticket revenue was €38.2 million.\n- Freight revenue: €12.9 million")
    pieces = ["FERRY TRAFFIC, H1 2025\n- Cars: 412,000 (H1 2024: 398,000)", "- Lorries: 61,500",
              "FINANCIALS\nTicket revenue was €38.2 million.", "- Freight revenue: €12.9 million"]
    assert with_headings(text, pieces) == [
        pieces[0], "FERRY TRAFFIC, H1 2025\n- Lorries: 61,500", pieces[2], "FINANCIALS\n- Freight revenue: €12.9 million"]
