"""Undo RFC 3676 `format=flowed` wrapping (Thunderbird, Apple Mail).

A flowed line ending in a space continues on the next line of the same quote depth, so
`DENY the activity is a sales` / `presentation` is one reason, not a truncated one.
"""

from __future__ import annotations

SIGNATURE_SEPARATOR = "-- "


def unflow(text: str, *, delsp: bool = False) -> str:
    out: list[str] = []
    paragraph: list[str] = []
    paragraph_depth = 0
    for raw in text.split("\n"):
        depth = len(raw) - len(raw.lstrip(">"))
        line = raw[depth:]
        if line.startswith(" "):
            line = line[1:]  # space-stuffing (§4.4)
        if paragraph and depth != paragraph_depth:
            out.append(_join(paragraph, paragraph_depth))
            paragraph = []
        flowed = line.endswith(" ") and line != SIGNATURE_SEPARATOR
        if flowed and delsp:
            line = line[:-1]
        paragraph.append(line)
        paragraph_depth = depth
        if not flowed:
            out.append(_join(paragraph, depth))
            paragraph = []
    if paragraph:
        out.append(_join(paragraph, paragraph_depth))
    return "\n".join(out)


def _join(lines: list[str], depth: int) -> str:
    prefix = ">" * depth + (" " if depth else "")
    return prefix + "".join(lines)
