"""A second, independent iCalendar reader for the tests: RFC 5545 §3.1 by hand.

Unfolds lines (CRLF then one space or tab), splits each content line into name, parameters
and value (a colon inside a quoted parameter value is not the separator), and unescapes
TEXT values (\\n, \\N, \\\\, \\;, \\,). Enough to read back what the feed writes.
"""

from __future__ import annotations

from typing import Any


def unfold(data: bytes) -> list[str]:
    text = data.decode("utf-8")
    assert "\n" not in text.replace("\r\n", ""), "every line must end with CRLF"
    lines: list[str] = []
    for line in text.split("\r\n"):
        if line[:1] in (" ", "\t") and lines:
            lines[-1] += line[1:]
        elif line:
            lines.append(line)
    return lines


def split_line(line: str) -> tuple[str, dict[str, str], str]:
    quoted = False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            head, value = line[:index], line[index + 1 :]
            break
    else:
        raise ValueError(f"no value in {line!r}")
    name, *params = head.split(";")
    return name.upper(), dict(p.split("=", 1) for p in params), value


def unescape(value: str) -> str:
    out, index = [], 0
    while index < len(value):
        char = value[index]
        if char == "\\" and index + 1 < len(value):
            following = value[index + 1]
            out.append("\n" if following in "nN" else following)
            index += 2
        else:
            out.append(char)
            index += 1
    return "".join(out)


def events(data: bytes) -> list[dict[str, Any]]:
    """Each VEVENT as {NAME: unescaped value} (DTSTART and DTEND keep their parameters)."""
    found: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for line in unfold(data):
        name, params, value = split_line(line)
        if (name, value) == ("BEGIN", "VEVENT"):
            current = {}
        elif (name, value) == ("END", "VEVENT"):
            assert current is not None
            found.append(current)
            current = None
        elif current is not None:
            current[name] = unescape(value)
            if params:
                current[f"{name}:params"] = params
    return found
