"""Bytes to text under whatever charset a message claims, never failing.

Senders mislabel charsets all the time (8-bit text marked us-ascii, windows-1252 marked
iso-8859-1, made-up names), so a label is a hint: unknown or non-text codecs fall back to
UTF-8, then windows-1252. Labels map to the supersets browsers use (WHATWG Encoding).
"""

from __future__ import annotations

import codecs

# What browsers actually decode these labels as: the superset of the labelled charset.
_SUPERSETS = {
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso-8859-9": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "big5": "big5hkscs",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
}


def codec_for(label: str | None) -> str | None:
    """The Python codec for a MIME charset label, or None when unknown or not a text codec."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = name.partition("*")[0]  # RFC 2231 language suffix: utf-8*en
    if not name or len(name) > 40:
        return None
    name = _SUPERSETS.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    # `codecs.lookup` also knows bytes-to-bytes codecs (base64, zlib, rot13...).
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def decode_text(data: bytes, label: str | None = None) -> str:
    """Decode with the labelled charset when it works, else UTF-8, else windows-1252."""
    codec = codec_for(label)
    if codec is not None and codec not in ("cp1252", "ascii"):
        try:
            return data.decode(codec)
        except (UnicodeError, LookupError, ValueError, TypeError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if codec is not None and codec != "cp1252":
        return _decode_lenient(data, codec)
    return _decode_lenient(data, "cp1252")


def _decode_lenient(data: bytes, codec: str) -> str:
    try:
        return data.decode(codec, errors="replace")
    except (UnicodeError, LookupError, ValueError, TypeError):
        # Some codecs (idna, punycode) only do strict decoding.
        return data.decode("cp1252", errors="replace")
