"""The one HTTP helper's origin rule and the entry header, without a network: pure functions of their input."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cockpit.sync.answers import capped_wait, wait_words
from cockpit.sync.entry_text import entry_content, parse_entry_content
from cockpit.sync.http import OriginRefused, TrackerHttp, origin_of


@pytest.mark.parametrize("url", [
    "https://tracker.example.com/ops/rest/data/issue/@poe/abc",
    "https://TRACKER.example.com:443/elsewhere/on/the/same/origin",
    "msg/17",
    "/ops/rest/data/msg",
])
def test_the_trackers_own_origin_is_allowed(url: str) -> None:
    http = TrackerHttp("team", "https://tracker.example.com/ops/rest/data/")
    assert origin_of(http.pinned(url)) == ("https", "tracker.example.com", 443)
    http.close()


@pytest.mark.parametrize("url", [
    "http://tracker.example.com/ops/rest/data/issue/@poe/abc",  # another scheme (a downgrade)
    "https://tracker.example.com:8443/ops/",  # another port
    "https://evil.example.com/ops/",  # another host
    "https://tracker.example.com.evil.example.com/ops/",
    "//evil.example.com/steal",  # scheme-relative
])
def test_any_other_origin_is_refused_before_sending(url: str) -> None:
    http = TrackerHttp("team", "https://tracker.example.com/ops/rest/data/")
    with pytest.raises(OriginRefused, match="not its own address"):
        http.pinned(url)
    http.close()


def test_an_entry_header_carries_the_clock_stamp_and_the_declarations_facts() -> None:
    at = datetime(2026, 11, 22, 19, 35, 0, 123456, tzinfo=UTC)
    content = entry_content({"kind": "declared", "author": "priya", "at": at.isoformat(), "hlc": 123 << 16,
                             "text": "Incident declared: x.", "data": {
                                 "services": ["checkout-api", "pg, primary · eu"], "started_at": at.isoformat(),
                                 "triggers": {"revenue": True, "data_loss": False}}})
    parsed = parse_entry_content(content)
    assert parsed is not None
    assert (parsed.kind, parsed.author, parsed.at, parsed.text, parsed.hlc) == (
        "declared", "priya", at, "Incident declared: x.", 123 << 16)
    assert parsed.facts["triggers"] == "revenue" and parsed.facts["started"] == "2026-11-22T19:35:00.123456Z"
    assert content.splitlines()[0].startswith("[declared] priya · 2026-11-22T19:35:00.123456Z · hlc=")


def test_a_header_without_a_stamp_still_reads() -> None:
    parsed = parse_entry_content("[note] alice · 2026-11-22T19:35:00Z\n\nolder release")
    assert parsed is not None and parsed.hlc is None and parsed.text == "older release"


@pytest.mark.parametrize(("asked", "waited"), [(30.0, 30.0), (float("inf"), 3600.0), (1e12, 3600.0),
                                               (float("nan"), 0.0), (-5.0, 0.0)])
def test_a_wait_a_tracker_asks_for_is_capped_at_an_hour(asked: float, waited: float) -> None:
    assert capped_wait(asked) == waited
    if asked > 3600:
        assert "waits an hour at most" in wait_words(asked)


@pytest.mark.parametrize("stamp", ["²", "١٢٣", "12³"])
def test_a_stamp_of_digits_that_are_not_ascii_is_no_stamp(stamp: str) -> None:
    # "²".isdigit() is true but int("²") raises: a tracker's comment must not be able to crash the pull
    parsed = parse_entry_content(f"[note] alice · 2026-11-22T19:35:00Z · hlc={stamp}\n\nhello")
    assert parsed is not None and parsed.hlc is None and parsed.text == "hello"


@pytest.mark.parametrize("raw", ["²", "١٢", "7²"])
def test_a_roundup_id_of_digits_that_are_not_ascii_is_a_bad_record(raw: str) -> None:
    from cockpit.sync.roundup import BadRecord, _item_id

    with pytest.raises(BadRecord):
        _item_id({"id": raw}, "message")
