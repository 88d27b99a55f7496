"""The named patterns of ``cockpit.redact``: what shell capture never stores and what a tracker never receives."""

from __future__ import annotations

import pytest

from cockpit.redact import SECRET_PATTERNS, SYNC_PATTERNS, PatternError, Redactor, compile_pattern

SYNC = Redactor.build(SYNC_PATTERNS, {"customer": r"CUST-\d{6}"}, label="name")
SECRETS = Redactor.build(SECRET_PATTERNS)


@pytest.mark.parametrize(("text", "sent", "counts"), [
    ("mail bob.smith+x@mail.example.co.uk now", "mail [email] now", {"email": 1}),
    ("from 10.0.0.12 and 192.168.1.255:8080", "from [ip] and [ip]:8080", {"ip": 2}),
    ("v6 2001:db8::7, fe80::1 and ::1", "v6 [ip], [ip] and [ip]", {"ip": 3}),
    ("full 2001:0db8:0000:0000:0000:ff00:0042:8329 here", "full [ip] here", {"ip": 1}),
    ("CUST-123456 and CUST-12345", "[customer] and CUST-12345", {"customer": 1}),
    # left alone: versions, times, a C++ scope, a number out of range, a bare "::"
    ("v2.14.2 1.2.3.4.5 at 12:30:45 std::vector 256.1.1.1 a :: b", None, {}),
])
def test_what_a_tracker_never_receives(text: str, sent: str | None, counts: dict[str, int]) -> None:
    assert SYNC.apply(text) == (sent if sent is not None else text, counts)


@pytest.mark.parametrize(("line", "stored"), [
    ("git clone https://deploy:s3cr3t-pw@git.example.com/app.git",
     "git clone https://deploy:[redacted]@git.example.com/app.git"),
    ("curl -H 'Authorization: Bearer eyJhbGciOi.abc' x", "curl -H 'Authorization: Bearer [redacted]' x"),
    ("mysql --password=hunter22 -u root", "mysql --password=[redacted] -u root"),
    ("export GH=ghp_" + "a" * 36, "export GH=[redacted]"),
    ("ls -la /var/log", "ls -la /var/log"),
])
def test_what_shell_capture_never_stores(line: str, stored: str) -> None:
    assert SECRETS.apply(line)[0] == stored


@pytest.mark.parametrize(("name", "source", "problem"), [
    ("customer", "CUST-(", "is not a regular expression"),
    ("customer", "x*", "matches empty text"),
    ("Customer ID", "x", "is not a pattern name"),
    ("customer", "", "is empty"),
])
def test_a_bad_pattern_says_why(name: str, source: str, problem: str) -> None:
    with pytest.raises(PatternError, match=problem):
        compile_pattern(name, source)
