"""Time-ordered UUIDs, short references and hybrid logical clock stamps."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cockpit.domain.ids import (
    HLC_SHIFT,
    display_ref,
    hlc_receive,
    hlc_tick,
    hlc_wall_ms,
    normalize_ref_query,
    ref_key_from_uuid,
    uuid7,
)
from cockpit.errors import InvalidInput

CROCKFORD_CHARS = set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
MS_2026 = 1_771_327_440_000  # 2026-02-17T11:24:00Z

unix_ms = st.integers(min_value=0, max_value=(1 << 48) - 1)
rand10 = st.binary(min_size=10, max_size=10)


# --- uuid7 -------------------------------------------------------------------------------


@given(unix_ms, rand10)
def test_uuid7_version_variant_and_timestamp(ms, rand):
    value = uuid7(ms, rand)
    assert value.version == 7
    assert value.variant == uuid.RFC_4122
    assert value.int >> 80 == ms


def test_uuid7_known_value():
    value = uuid7(MS_2026, bytes(10))
    assert str(value).startswith(f"{MS_2026:012x}"[:8] + "-" + f"{MS_2026:012x}"[8:] + "-7000-8000-")


@given(unix_ms, unix_ms, rand10, rand10)
def test_uuid7_orders_by_time(ms_a, ms_b, rand_a, rand_b):
    a, b = uuid7(ms_a, rand_a), uuid7(ms_b, rand_b)
    if ms_a < ms_b:
        assert a < b
        assert str(a) < str(b)  # also in text form, as stored


def test_uuid7_uses_the_randomness():
    assert uuid7(MS_2026, bytes(10)) != uuid7(MS_2026, b"\x01" * 10)


@pytest.mark.parametrize("rand", [b"", b"123456789"])
def test_uuid7_needs_ten_random_bytes(rand):
    with pytest.raises(ValueError, match="10 random bytes"):
        uuid7(MS_2026, rand)


# --- references --------------------------------------------------------------------------


@given(unix_ms, rand10)
def test_ref_key_is_eight_crockford_chars(ms, rand):
    key = ref_key_from_uuid(uuid7(ms, rand))
    assert len(key) == 8
    assert set(key) <= CROCKFORD_CHARS
    assert not set(key) & set("ILOU")


def test_ref_key_known_values():
    assert ref_key_from_uuid(uuid.UUID(int=0)) == "00000000"
    assert ref_key_from_uuid(uuid.UUID(int=(1 << 40) - 1)) == "ZZZZZZZZ"
    assert ref_key_from_uuid(uuid.UUID(int=1 << 40)) == "00000000"  # only the low 40 bits count
    assert ref_key_from_uuid(uuid.UUID(int=32 + 1)) == "00000011"


def test_display_ref():
    assert display_ref("K7Q2M9XF") == "INC-K7Q2M9XF"


@given(unix_ms, rand10)
def test_ref_round_trip(ms, rand):
    key = ref_key_from_uuid(uuid7(ms, rand))
    shown = display_ref(key)
    assert normalize_ref_query(shown) == key
    assert normalize_ref_query(shown.lower()) == key
    assert normalize_ref_query(f"  {key[:4]}-{key[4:]}  ") == key
    for n in range(1, 9):
        assert normalize_ref_query(key[:n].lower()) == key[:n]


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("inc-k7q2", "K7Q2"),
        ("K7Q2", "K7Q2"),
        ("INC-K7Q2-M9", "K7Q2M9"),
        ("  inc-k7q2m9xf ", "K7Q2M9XF"),
        ("k7q2 m9", "K7Q2M9"),
        ("I", "1"),
        ("l", "1"),
        ("O", "0"),
        ("iLo0", "1100"),
        ("inc-k7qo", "K7Q0"),
    ],
)
def test_normalize_ref_query_accepts(text, query):
    assert normalize_ref_query(text) == query


@pytest.mark.parametrize(
    "text",
    ["", "   ", "INC-", "hello!", "K7Q2M9XFZ", "INC-K7Q2M9XF0", "K7U2", "K7Q2_M9", "#K7Q2"],
)
def test_normalize_ref_query_rejects(text):
    with pytest.raises(InvalidInput) as err:
        normalize_ref_query(text)
    assert f"'{text}'" in str(err.value)
    assert "INC-" in str(err.value)


# --- hybrid logical clock -----------------------------------------------------------------


@given(
    st.integers(min_value=0, max_value=1 << 60), st.lists(st.integers(0, 1 << 44), min_size=1, max_size=50)
)
def test_hlc_tick_strictly_increases_even_when_the_wall_clock_goes_back(start, wall_readings):
    last = start
    for now_ms in wall_readings:
        stamp = hlc_tick(last, now_ms)
        assert stamp > last
        assert stamp >= now_ms << HLC_SHIFT
        last = stamp


def test_hlc_tick_when_the_clock_goes_backwards_bumps_the_counter():
    first = hlc_tick(0, MS_2026)
    assert first == MS_2026 << HLC_SHIFT
    second = hlc_tick(first, MS_2026 - 5000)  # clock stepped back 5 s
    assert second == first + 1
    assert hlc_wall_ms(second) == MS_2026
    third = hlc_tick(second, MS_2026 + 1)
    assert third == (MS_2026 + 1) << HLC_SHIFT
    assert hlc_wall_ms(third) == MS_2026 + 1


@given(
    st.integers(min_value=0, max_value=1 << 60),
    st.integers(min_value=0, max_value=1 << 60),
    st.integers(0, 1 << 44),
)
def test_hlc_receive_exceeds_the_remote_and_the_local_stamp(last, remote, now_ms):
    stamp = hlc_receive(last, remote, now_ms)
    assert stamp > remote
    assert stamp > last
    assert stamp >= now_ms << HLC_SHIFT


def test_hlc_receive_from_a_clock_ahead():
    local = hlc_tick(0, MS_2026)
    remote = (MS_2026 + 60_000) << HLC_SHIFT | 3  # a peer one minute ahead
    stamp = hlc_receive(local, remote, MS_2026 + 10)
    assert stamp == remote + 1
    assert hlc_wall_ms(stamp) == MS_2026 + 60_000


@given(st.integers(0, 1 << 44))
def test_hlc_wall_ms_round_trip(now_ms):
    assert hlc_wall_ms(hlc_tick(0, now_ms)) == now_ms


def test_a_shown_time_is_cut_to_the_stamps_millisecond() -> None:
    from datetime import UTC, datetime

    from cockpit.domain.ids import hlc_tick, hlc_wall_ms, whole_ms

    moment = datetime(2026, 12, 1, 15, 21, 9, 237718, tzinfo=UTC)
    assert whole_ms(moment) == datetime(2026, 12, 1, 15, 21, 9, 237000, tzinfo=UTC)
    assert whole_ms(whole_ms(moment)) == whole_ms(moment)
    stamp = hlc_tick(0, int(moment.timestamp() * 1000))
    assert hlc_wall_ms(stamp) / 1000 == whole_ms(moment).timestamp()  # the time shown is the stamp's own
