"""Golden files: Discourse's email_reply_trimmer corpus (MIT, tests/fixtures/reply-trimmer).

Every one of the 64 real-world bodies in test/emails must trim to test/trimmed. The
comparison ignores trailing whitespace on each line and blank lines at either end (the
golden files end with newlines; Discourse's own runner strips both sides) and normalises
line endings; it keeps the indentation of the first line.
"""

from __future__ import annotations

from mailbox.quoting import trim_reply
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "reply-trimmer" / "test"
EMAILS = sorted(path.name for path in (CORPUS / "emails").iterdir())

# Bodies we knowingly trim differently, each with the reason. The test fails when one of
# them starts matching (remove it from here) as well as when any other one differs.
KNOWN_DIFFERENCES: dict[str, str] = {}


def normalise(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


def test_the_corpus_is_complete():
    assert len(EMAILS) == 64
    assert sorted(path.name for path in (CORPUS / "trimmed").iterdir()) == EMAILS
    assert (CORPUS.parent / "LICENSE").is_file()


@pytest.mark.parametrize("name", EMAILS)
def test_each_corpus_email_trims_to_its_golden_text(name):
    email = (CORPUS / "emails" / name).read_text(encoding="utf-8")
    expected = normalise((CORPUS / "trimmed" / name).read_text(encoding="utf-8"))
    got = normalise(trim_reply(email))
    if name in KNOWN_DIFFERENCES:
        assert got != expected, f"{name} now matches: remove it from KNOWN_DIFFERENCES"
    else:
        assert got == expected
