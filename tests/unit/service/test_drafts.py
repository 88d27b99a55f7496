"""Local drafts: typing kept between a keystroke and the database write."""

from __future__ import annotations

from pathlib import Path

from cockpit.service.drafts import Drafts


def test_a_draft_is_kept_per_database_and_cleared(tmp_path: Path) -> None:
    folder = tmp_path / "drafts"
    one, other = Drafts(folder, tmp_path / "a.db"), Drafts(folder, tmp_path / "b.db")
    assert one.write("entry-x", {"text": "half a thought ⏎ \x1b"})
    assert one.read("entry-x") == {"text": "half a thought ⏎ \x1b"}
    assert other.read("entry-x") is None  # another database's drafts never mix in
    one.write("entry-x", {"text": "second"})
    assert one.read("entry-x") == {"text": "second"}
    one.clear("entry-x")
    assert one.read("entry-x") is None
    assert not [p for p in folder.iterdir() if p.name.startswith(".draft-")]  # no temporary file left behind


def test_an_unwritable_folder_or_a_broken_file_is_no_error(tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    drafts = Drafts(blocked / "drafts", tmp_path / "a.db")
    assert drafts.write("k", {"text": "x"}) is False and drafts.read("k") is None
    ok = Drafts(tmp_path / "d", tmp_path / "a.db")
    ok.write("k", {"text": "x"})
    path = next((tmp_path / "d").iterdir())
    path.write_text("{not json")
    assert ok.read("k") is None


def test_a_draft_file_nested_too_deep_to_parse_is_no_draft(tmp_path: Path) -> None:
    from cockpit.service.drafts import Drafts

    drafts = Drafts(tmp_path / "drafts", tmp_path / "c.db")
    assert drafts.write("entry:INC-1", {"text": "typed"})
    [path] = (tmp_path / "drafts").iterdir()
    path.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    assert drafts.read("entry:INC-1") is None
