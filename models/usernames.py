"""Provider account usernames, by OPI's rule: first initial + last name (John Doe -> JDoe).

The provider system lives in OPI's Windows domain ("OPI\\JDoe"), so a username is plain
ASCII letters (then digits to make it unique) and at most 20 characters, the limit of a
Windows logon name (sAMAccountName).

- Accents are folded (José Núñez -> JNunez), Cyrillic and Greek transliterated by the
  table below; any other script by anyascii (王明 -> WangMing, 김다은 -> GimDaeun).
- Everything but letters is dropped: Anne-Marie O'Brien -> AOBrien, Mary Van Der Berg ->
  MVanDerBerg (each part of the surname starts with a capital; other capitals are kept,
  so McDonald stays McDonald, but a surname typed all in one case is title-cased).
- A surname with no letters left falls back to the first name, then to "User".
- Unique against `taken`, ignoring case: JDoe, JDoe2, JDoe3...
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

MAX_LENGTH = 20

_CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяєіїґ",
        ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p",
         "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya",
         "ye", "i", "yi", "g"],
        strict=True,
    )
)  # fmt: skip
_GREEK = dict(
    zip(
        "αβγδεζηθικλμνξοπρστυφχψως",
        ["a", "b", "g", "d", "e", "z", "i", "th", "i", "k", "l", "m", "n", "x", "o", "p", "r",
         "s", "t", "y", "f", "ch", "ps", "o", "s"],
        strict=True,
    )
)  # fmt: skip
_LATIN = {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "ł": "l",
          "ı": "i"}  # fmt: skip


def _table() -> dict[int, str]:
    table: dict[int, str] = {}
    for lower, latin in (_CYRILLIC | _GREEK | _LATIN).items():
        table[ord(lower)] = latin
        if lower.upper() != lower and len(lower.upper()) == 1:
            table[ord(lower.upper())] = latin.capitalize()
    return table


_TRANSLITERATE = _table()


def ascii_letters(text: str) -> str:
    """`text` folded to ASCII: accents dropped, Cyrillic/Greek transliterated."""
    text = unicodedata.normalize("NFC", text)
    text = re.sub("ου", "ou", re.sub("Ου|ΟΥ", "Ou", text))  # the one common Greek digraph
    text = text.translate(_TRANSLITERATE)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.translate(_TRANSLITERATE)  # Greek letters that carried an accent
    if text.isascii():
        return text
    # Scripts the table has nothing for (Chinese, Arabic, Korean, Japanese…): a maintained
    # transliteration, character by character (王明 -> WangMing, 김다은 -> GimDaeun).
    from anyascii import anyascii

    # Letters only: a symbol's name (☺ -> ":relaxed:") is not part of anyone's name.
    return "".join(
        ch if ch.isascii() else anyascii(ch) if unicodedata.category(ch)[0] == "L" else " "
        for ch in text
    )


def _surname(last: str) -> str:
    parts = re.findall(r"[A-Za-z]+", ascii_letters(last))
    letters = "".join(parts)
    if letters.isupper() or letters.islower():
        return "".join(part.capitalize() for part in parts)  # DOE, doe -> Doe
    return "".join(part[0].upper() + part[1:] for part in parts)


def base_username(first: str, last: str) -> str:
    """First initial + surname letters, before de-duplication."""
    initial = "".join(re.findall(r"[A-Za-z]", ascii_letters(first)))[:1].upper()
    surname = _surname(last)
    if not surname:
        return _surname(first) or "User"
    return (initial + surname)[:MAX_LENGTH]


def make_username(first: str, last: str, taken: Collection[str]) -> str:
    """OPI's username for a new account manager, unique among `taken` (case-insensitive)."""
    base = base_username(first, last)[:MAX_LENGTH]
    used = {name.casefold() for name in taken}
    if base.casefold() not in used:
        return base
    number = 2
    while True:
        suffix = str(number)
        candidate = base[: MAX_LENGTH - len(suffix)] + suffix
        if candidate.casefold() not in used:
            return candidate
        number += 1
