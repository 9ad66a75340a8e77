"""Nothing lost at ingest: a document's id comes from its path (or its front matter), never from its file stem
alone; a folder walk reports every file it leaves out; a large file shows progress and resumes."""

import json
import os

import pytest
from click.testing import CliRunner

from copilot.cli import cli
from tests.helpers import make_pdf


def _docs(rt) -> dict[str, str]:
    return {v.doc_id: v.path for v in rt.store.committed().values()}


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_same_file_name_in_two_folders_is_two_documents(runtime, tmp_path):
    a = _write(tmp_path / "a" / "report.txt", "Container freight rates from Shanghai rose 12% in March.")
    b = _write(tmp_path / "b" / "report.txt", "Arabica coffee futures fell 4% after the Brazil harvest.")
    assert [f.status for f in runtime.ingest([a], progress=False).files] == ["added"]
    assert [f.status for f in runtime.ingest([b], progress=False).files] == ["added"]
    assert set(_docs(runtime)) == {"a/report.txt", "b/report.txt"}
    assert "freight" in runtime.search("container freight rates Shanghai", 1)[0].chunk.text
    assert "coffee" in runtime.search("arabica coffee futures", 1)[0].chunk.text


def test_same_stem_with_three_extensions_in_one_folder_is_three_documents(runtime, tmp_path):
    folder = tmp_path / "power"
    _write(folder / "good.html", "<html><title>Grid</title><body>Day-ahead power prices peaked at noon.</body></html>")
    _write(folder / "good.txt", "Baseload power futures for Q3 traded flat.")
    (folder / "good.pdf").write_bytes(make_pdf("Wind output covered 40 percent of demand"))
    report = runtime.ingest([folder], progress=False)
    assert sorted(f.status for f in report.files) == ["added"] * 3 and not report.partial
    assert set(_docs(runtime)) == {"power/good.html", "power/good.txt", "power/good.pdf"}


def test_reingesting_the_same_path_replaces_however_it_is_named(runtime, tmp_path):
    f = _write(tmp_path / "ships" / "notes.md", "# Notes\nBulk carrier rates fell.")
    runtime.ingest([tmp_path / "ships"], progress=False)
    _write(f, "# Notes\nBulk carrier rates rose again.")
    report = runtime.ingest([f], progress=False)  # the file named directly, not through its folder
    assert [x.status for x in report.files] == ["replaced"]
    assert list(_docs(runtime)) == ["ships/notes.md"]
    assert "rose again" in runtime.search("bulk carrier rates", 1)[0].chunk.text


def test_an_id_taken_by_another_existing_file_is_an_error_not_a_replacement(runtime, tmp_path):
    first = _write(tmp_path / "x" / "desk" / "memo.txt", "LNG cargoes to Europe rose.")
    second = _write(tmp_path / "y" / "desk" / "memo.txt", "Robusta stocks in Vietnam fell.")
    runtime.ingest([tmp_path / "x" / "desk"], progress=False)
    report = runtime.ingest([tmp_path / "y" / "desk"], progress=False)  # both give the id "desk/memo.txt"
    [result] = report.files
    assert result.status == "failed" and "desk/memo.txt" in result.reason and str(first.resolve()) in result.reason
    assert report.partial
    assert _docs(runtime) == {"desk/memo.txt": str(first.resolve())}  # the first is not lost
    # with another root the ids differ and both are kept
    again = runtime.ingest([tmp_path / "y" / "desk"], progress=False, root=tmp_path)
    assert [f.status for f in again.files] == ["added"] and "y/desk/memo.txt" in _docs(runtime)
    assert second.exists()


def test_a_moved_file_takes_its_id_along(runtime, tmp_path):
    old = _write(tmp_path / "m" / "a.md", "---\ndoc_id: tanker-note\n---\nVLCC rates doubled.")
    runtime.ingest([old], progress=False)
    new = tmp_path / "n" / "a.md"
    new.parent.mkdir()
    old.rename(new)
    assert [f.status for f in runtime.ingest([new], progress=False).files] == ["unchanged"]
    assert _docs(runtime) == {"tanker-note": str(new.resolve())}


def test_two_files_declaring_one_id_collide_loudly(runtime, tmp_path):
    _write(tmp_path / "d" / "one.md", "---\ndoc_id: same\n---\nCoffee roasters raised prices.")
    _write(tmp_path / "d" / "two.md", "---\ndoc_id: same\n---\nPower demand hit a record.")
    report = runtime.ingest([tmp_path / "d"], progress=False)
    assert [f.status for f in report.files] == ["added", "failed"] and "same" in report.files[1].reason
    _write(tmp_path / "e" / "three.md", "---\ndoc_id: same\n---\nFreight insurance costs rose.")
    later = runtime.ingest([tmp_path / "e"], progress=False)  # a later run, the first file still there
    assert later.files[0].status == "failed" and "one.md" in later.files[0].reason


def test_a_store_from_stem_ids_keeps_its_documents_on_reingest(runtime, tmp_path):
    """Documents stored under the old stem ids are found by their path, not added a second time."""
    from retrieval.store import DocVersion

    f = _write(tmp_path / "old" / "cargo.txt", "Cargo volumes at Rotterdam fell 3%.")
    runtime.ingest([f], progress=False)
    v = runtime.store.committed()["old/cargo.txt"]
    runtime.store.remove_document(v.doc_id)
    runtime.store.commit(DocVersion(**(v.__dict__ | {"doc_id": "cargo", "path": os.path.relpath(f)})))
    assert [x.status for x in runtime.ingest([f], progress=False).files] == ["unchanged"]
    assert list(_docs(runtime)) == ["cargo"]


def test_folder_walk_reports_every_file_left_out(runtime, tmp_path):
    folder = tmp_path / "mixed"
    _write(folder / "ok.md", "# OK\nThe Baltic Dry Index rose.")
    _write(folder / "slides.pptx", "not really slides")
    _write(folder / ".hidden.txt", "secret")
    _write(folder / "README.md", "# About this folder")
    _write(folder / ".git" / "config", "[core]")
    os.symlink(folder, folder / "loop")  # a link back to its own folder
    os.symlink(folder / "nowhere.txt", folder / "dangling.txt")
    os.symlink(folder / "ok.md", folder / "same.md")
    report = runtime.ingest([folder], progress=False)
    by_name = {os.path.basename(f.path): f for f in report.files}
    assert by_name["ok.md"].status == "added"
    assert by_name["slides.pptx"].status == "skipped" and "unsupported file type .pptx" in by_name["slides.pptx"].reason
    assert by_name[".hidden.txt"].status == "skipped" and "hidden" in by_name[".hidden.txt"].reason
    assert by_name[".git"].status == "skipped"
    assert by_name["README.md"].status == "skipped"
    assert by_name["loop"].status == "skipped" and "symlink loop" in by_name["loop"].reason
    assert by_name["dangling.txt"].status == "failed" and "broken symlink" in by_name["dangling.txt"].reason
    assert by_name["same.md"].status == "skipped" and "same file" in by_name["same.md"].reason
    assert len(runtime.store.committed()) == 1


def test_cli_lists_each_file_left_out_with_its_reason(tmp_path, monkeypatch):
    monkeypatch.setenv("COPILOT_EMBEDDER", "fake")
    folder = tmp_path / "coffee"
    _write(folder / "prices.md", "# Prices\nArabica rose 2%.")
    _write(folder / "photo.jpg", "jpeg bytes")
    os.symlink(tmp_path, folder / "up")
    result = CliRunner().invoke(cli, ["ingest", "--quiet", str(folder)])
    assert result.exit_code == 0, result.output
    assert f"left out {folder / 'photo.jpg'}: unsupported file type .jpg" in result.stderr
    assert f"left out {folder / 'up'}: symlink loop" in result.stderr
    assert "1 added" in result.output and "2 skipped" in result.output
    data = json.loads(CliRunner().invoke(cli, ["ingest", "--json", str(folder)]).stdout)
    assert {f["status"] for f in data["files"]} == {"unchanged", "skipped"}


def test_large_file_shows_chunks_and_resumes(runtime, tmp_path, settings, capsys):
    big = _write(tmp_path / "big" / "log.md", "# Log\n" + " ".join(
        f"Voyage {i} carried {i * 7} tonnes of soybeans from Santos." for i in range(700)))
    settings.embed_batch = 8
    seen = []
    real_embed = runtime.embedder.embed
    calls = {"n": 0}

    def flaky(texts):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real_embed(texts)

    runtime.embedder.embed = flaky
    with pytest.raises(KeyboardInterrupt):
        runtime.ingest([big], progress=True, on_chunks=lambda done, total, name: seen.append((done, total)))
    total = seen[-1][1]
    assert runtime.store.count() == 24 and seen[-1][0] == 24
    assert f"0/{total}" in capsys.readouterr().err  # a bar of chunks (tqdm adds the rate and the time left)

    runtime.embedder.embed = real_embed
    resumed = []
    report = runtime.ingest([big], progress=True, on_chunks=lambda done, total, name: resumed.append(done))
    assert report.files[0].status == "added"
    assert f"24/{total}" in capsys.readouterr().err  # the bar starts at the chunks already embedded
    assert resumed[0] == 24 + 8  # the first batch of the rerun starts after the chunks already embedded
    assert runtime.store.count() == report.files[0].chunks == seen[-1][1]


def test_two_uploads_with_one_name_are_both_kept(runtime, tmp_path):
    from ui.corpus import save_upload

    uploads = tmp_path / "home" / "uploads"
    first, _ = save_upload(uploads, "report.txt", b"Brent crude closed at $81 a barrel.")
    second, note = save_upload(uploads, "../report.txt", b"Henry Hub gas fell to $2.90.")
    assert first != second and second.is_relative_to(uploads) and "report.txt" in note
    assert save_upload(uploads, "report.txt", b"Brent crude closed at $81 a barrel.")[0] == first
    for path in (first, second):
        assert [f.status for f in runtime.ingest([path], progress=False).files] == ["added"]
    assert len(runtime.store.committed()) == 2
