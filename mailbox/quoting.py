"""Keep only the new text of a reply: no quoted message, attribution, signature.

Each line gets a kind (text, quote, empty, delimiter, phone signature, marker, header),
then a few rules on the sequence decide what is new:

- everything from the first delimiter on goes (`-- ` signatures, `____` rules, our own
  `REPLY_MARKER`, the HTML converter's quote boundary); phone signatures go;
- a marker is an attribution ("On … wrote:", in many languages, possibly wrapped over
  several lines), a forward/"Original Message" line, or a block of 3+ header lines
  (Outlook's From:/Sent:/To:/Subject:);
- text above the first marker is the reply, unless text *and more quotes* follow the
  quote under it (an interleaved answer): then all but the markers is kept; a short
  tail of text after the quote is the quoted message's signature, not an answer;
- nothing but quotes above the first marker: the reply is below it (bottom-posting,
  or a forward with nothing added), after the quote that directly follows it;
- trailing quotes under the text go.

Measured against Discourse's email_reply_trimmer corpus (tests/fixtures/reply-trimmer).
"""

from __future__ import annotations

import re
from enum import Enum
from mailbox.html_text import QUOTE_BOUNDARY

REPLY_MARKER = "-- Reply above this line --"
MAX_CHARS = 100_000  # the new text of a reply is at the top; bounds the time spent
MAX_ATTRIBUTION_LINES = 6  # attributions wrapped by clients span up to ~5 lines
MIN_ANSWER_LINES = 7  # fewer text lines after a closing quote are a signature
MAX_WRAPPED_HEADER_LINES = 2  # a header block's values wrap onto at most this many lines


class Kind(Enum):
    EMPTY = "e"
    TEXT = "t"
    QUOTE = "q"
    DELIMITER = "d"
    SIGNATURE = "s"
    MARKER = "b"
    HEADER = "h"


_FLAGS = re.IGNORECASE

# Lines that end the reply.
_RULE = re.compile(r"^\s*([-_=*~+#])\1+\s*$|^\s*\u1427\s*$")
_REPLY_ABOVE = re.compile(r"reply above this line", _FLAGS)

# Phone and app signatures, removed wherever they are (one line each).
_SIGNATURES = [
    re.compile(p, _FLAGS)
    for p in (
        r"^[(<\[]*\s*sent\s+(?:from|via|with|by|using)\b.{0,100}$",
        r"^\w+ from mobile$",
        r"^from my (?:iphone|ipad|android|mobile|phone|samsung|galaxy|blackberry)\b.{0,40}$",
        r"^envoy[ée] (?:depuis|de|avec) (?:mon|ma)\b.{0,60}$",
        r"^von meinem .{1,60} gesendet\.?$",
        r"^diese nachricht wurde von meinem .{1,80} gesendet\.?$",
        r"^(?:sendt|skickat|sendt) fr[aå]n? min\b.{0,60}$",
        r"^verzonden (?:met|vanaf|van) .{1,60}$",
        r"^enviado (?:desde|do|de) (?:mi|meu|o meu)\b.{0,60}$",
        r"^inviato da(?:l mio)? .{1,60}$",
        r"^wysłane z .{1,60}$",
        r"^отправлено с .{1,60}$",
        r"^從我的.{1,30}傳送$",
        r"^发自我的.{1,30}$",
        r"^get \[?outlook for (?:ios|android).{0,80}$",
    )
]

# Forward and "original message" separators.
_FORWARD = [
    # -----Original Message-----, ---------- Forwarded message ---------, in any language
    re.compile(r"^-{2,}\s*[^\W\d_][^\d]{0,60}?\s*-{2,}$"),
    re.compile(
        r"^(?:begin forwarded message|anfang der weitergeleiteten nachricht|"
        r"début du message réexpédié|inicio del mensaje reenviado|messaggio inoltrato|"
        r"doorgestuurd bericht|forwarded message|original message)\s*[:：]?$",
        _FLAGS,
    ),
]

# One field of a quoted message's header block (Outlook & co., several languages).
_HEADER = re.compile(
    r"^\s*\*?\s*(?:from|sent|to|cc|bcc|subject|date|reply-to|"
    r"von|gesendet|an|betreff|datum|kopie|antwort an|"
    r"de|enviado|para|asunto|fecha|envoyé|à|a|objet|cc|"
    r"da|data|oggetto|inviato|risposta|"
    r"från|skickat|till|ämne|kopia|fra|sendt|til|emne|"
    r"van|verzonden|aan|onderwerp|"
    r"od|wysłano|wysłane|do|temat|"
    r"от|отправлено|дата|кому|тема|копия|"
    r"lähettäjä|lähetetty|vastaanottaja|aihe|"
    r"feladó|elküldve|címzett|tárgy|"
    r"gönderen|gönderildi|kime|konu|"
    r"发件人|发送时间|收件人|主题|寄件者|傳送時間|收件者|主旨|差出人|送信日時|宛先|件名)"
    r"\s*\*?\s*[:：]\s*\*?(?:\s|$)",
    _FLAGS,
)

# Attributions ("On <date>, <someone> wrote:") once wrapped lines are joined.
_VERB = (
    r"(?:wrote|writes|schrieb|geschreven|schreef|a\s+écrit|ha\s+escrito|escribió|escribio|"
    r"escreveu|ha\s+scritto|scrisse|skrev|skrivit|napisał\(a\)|napisała|napisał|"
    r"написал\(а\)|написала|написал|пише|писал|写道|寫道|kirjoitti|írta|napsal\(a\)|napsal|"
    r"napísal|yazdı|a\s+scris|έγραψε)"
)
# The closing ">" may be missing: wrapped onto a line of its own, it reads as a quote.
_ADDRESS_IN_BRACKETS = r"<[^\n]{0,300}?@[^\n]{0,300}?>*"
_TRAILER = (
    r"(?:\s*[:：]?"  # the verb ends it
    rf"|\s+.{{0,200}}?{_ADDRESS_IN_BRACKETS}\s*[:：]"  # … schrieb Max <max@example>:
    r"|\s+(?:am|on|le)\s.{1,80}?[:：])$"  # … schrieb am Fr., 28. Apr. 2017 um 11:53 Uhr:
)
_INTRO = r"(?:on|at|le|am|el|em|il|op|den|dnia|w\s+dniu|в|у|在|pe|dne|dňa|på|kello)"
# Anchored at a recognisable start, so a window never reaches back into the reply.
_ANCHORED_ATTRIBUTIONS = [
    re.compile(p, _FLAGS)
    for p in (
        rf"^{_INTRO}\s(?=.*\d).{{0,400}}?{_VERB}{_TRAILER}",
        rf"^\d{{1,4}}[\s./-](?=.*\d{{1,2}}[:.]\d{{2}}).{{0,400}}?{_VERB}{_TRAILER}",
        r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\s.{0,200}?"
        rf"(?:GMT[+-]\d{{1,2}}(?::?\d{{2}})?.{{0,200}}|{_ADDRESS_IN_BRACKETS}\s*[:：]?)$",
        rf"^\d{{4}}年\d{{1,2}}月\d{{1,2}}日.{{0,200}}?{_ADDRESS_IN_BRACKETS}\s*[:：]?$",
        r"^.{0,100}?\d.{0,200}?\sпользователь\s.{1,200}?написал(?:\(а\)|а)?\s*[:：]?$",
    )
]
# Name first: "Some One <some.one@example.org> wrote:", tried after the anchored ones.
_NAMED_ATTRIBUTION = re.compile(
    rf"^[^<>\n]{{1,200}}?{_ADDRESS_IN_BRACKETS}\s*{_VERB}{_TRAILER}", _FLAGS
)
# Substrings of every verb above, for a fast test before any pattern runs.
_VERB_STEMS = (
    "wrote", "writes", "schrieb", "geschreven", "schreef", "écrit", "escrito", "escribi",
    "escreveu", "scritto", "scrisse", "skrev", "skrivit", "napisa", "написал", "пише", "писал",
    "写道", "寫道", "kirjoitti", "írta", "napsal", "napísal", "yazdı", "scris", "έγραψε",
)  # fmt: skip
_ENDS_LIKE_ATTRIBUTION = re.compile(rf"(?:[:：>]|{_VERB})$|^\d{{4}}[-/.年]", _FLAGS)
_QUOTE_PREFIX = re.compile(r"^(?:\s*>)+\s?")
_SUPERCITE = re.compile(r"^[A-Za-z]{1,10}>")
_EDGE_PUNCTUATION = re.compile(r"^[-*_\s]+|[-*_\s]+$")
_SPACES = re.compile(r"\s+")
_FENCE = "```"


def trim_reply(text: str) -> str:
    """The new text of `text`, leading and trailing blank lines removed."""
    lines = text[:MAX_CHARS].replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kinds = _classify(lines)
    kept = _select(lines[: len(kinds)], kinds)
    while kept and not kept[0].strip():
        kept.pop(0)
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(kept)


# Line kinds ------------------------------------------------------------------------


def _classify(lines: list[str]) -> list[Kind]:
    """The kinds of the lines up to and including the first delimiter: everything after it
    goes anyway, and in a reply to our email that is the whole quoted message (our emails
    start with `REPLY_MARKER`), so it is never looked at. No rule reads across a delimiter."""
    kinds: list[Kind] = []
    in_code = False
    for line in lines:
        if line.strip().startswith(_FENCE):
            in_code = not in_code
            kinds.append(Kind.TEXT)
        elif in_code:
            kinds.append(Kind.TEXT)
        else:
            kinds.append(_kind_of(line))
            if kinds[-1] is Kind.DELIMITER:
                break
    head = lines[: len(kinds)]
    _mark_attributions(head, kinds)
    _mark_header_blocks(kinds)
    return kinds


def _kind_of(line: str) -> Kind:
    stripped = line.strip()
    if not stripped:
        return Kind.EMPTY
    if (
        stripped in (REPLY_MARKER, QUOTE_BOUNDARY)
        or _RULE.match(line)
        or _REPLY_ABOVE.search(stripped)
    ):
        return Kind.DELIMITER
    if any(p.match(stripped) for p in _SIGNATURES):
        return Kind.SIGNATURE
    separator = _QUOTE_PREFIX.sub("", line).strip("* \t")
    if any(p.match(separator) for p in _FORWARD):
        return Kind.MARKER
    if stripped.startswith(">") or _SUPERCITE.match(stripped):
        return Kind.QUOTE
    if _HEADER.match(line):
        return Kind.HEADER
    return Kind.TEXT


def _mark_attributions(lines: list[str], kinds: list[Kind]) -> None:
    """Attributions may be wrapped over several lines: try windows ending at each line."""
    verbs = [any(stem in line.lower() for stem in _VERB_STEMS) for line in lines]
    for end, line in enumerate(lines):
        if kinds[end] not in _WINDOW_KINDS or not _ENDS_LIKE_ATTRIBUTION.search(_unquote(line)):
            continue
        start = _attribution_start(lines, kinds, verbs, end)
        if start is None:
            continue
        # A date line alone can already match; the name may be wrapped onto the next ones.
        for later in range(end + 1, min(end + 3, len(lines))):
            if kinds[later] not in _WINDOW_KINDS:
                break
            window = lines[start : later + 1]
            if _ENDS_LIKE_ATTRIBUTION.search(_unquote(lines[later])) and _is_attribution(
                _join(window), any(verbs[start : later + 1])
            ):
                end = later
        for index in range(start, end + 1):
            kinds[index] = Kind.MARKER


_WINDOW_KINDS = (Kind.TEXT, Kind.QUOTE, Kind.HEADER)


def _attribution_start(
    lines: list[str], kinds: list[Kind], verbs: list[bool], end: int
) -> int | None:
    """The start of the shortest window ending at `end` that is an attribution."""
    windows: list[tuple[int, str]] = []
    for start in range(end, max(end - MAX_ATTRIBUTION_LINES, -1), -1):
        if kinds[start] in (Kind.DELIMITER, Kind.SIGNATURE, Kind.MARKER):
            break
        joined = _join(lines[start : end + 1])
        if kinds[start] is not Kind.EMPTY and _could_be_attribution(
            joined, any(verbs[start : end + 1])
        ):
            windows.append((start, joined))
    # Windows with a recognisable start first, so that a name-first pattern never
    # reaches back over a wrapped "On <date>," line.
    for patterns in (_ANCHORED_ATTRIBUTIONS, [_NAMED_ATTRIBUTION]):
        for start, joined in windows:
            if any(p.match(joined) for p in patterns):
                return start
    return None


def _could_be_attribution(joined: str, has_verb: bool) -> bool:
    """A cheap test first: the patterns backtrack, and most lines are nothing like them."""
    if len(joined) > 600:
        return False
    return has_verb or (joined[:1].isdigit() and ("GMT" in joined or "@" in joined))


def _is_attribution(joined: str, has_verb: bool) -> bool:
    patterns = [*_ANCHORED_ATTRIBUTIONS, _NAMED_ATTRIBUTION]
    return _could_be_attribution(joined, has_verb) and any(p.match(joined) for p in patterns)


def _join(lines: list[str]) -> str:
    return _SPACES.sub(" ", " ".join(_unquote(line) for line in lines if line.strip())).strip()


def _unquote(line: str) -> str:
    return _EDGE_PUNCTUATION.sub("", _QUOTE_PREFIX.sub("", line))


def _mark_header_blocks(kinds: list[Kind]) -> None:
    """3+ header lines close together (wrapped values between them) are one marker."""
    index = 0
    while index < len(kinds):
        if kinds[index] is not Kind.HEADER:
            index += 1
            continue
        last_header = position = index
        headers = 0
        while position < len(kinds) and position - last_header <= MAX_WRAPPED_HEADER_LINES:
            if kinds[position] is Kind.HEADER:
                headers += 1
                last_header = position
            elif kinds[position] is not Kind.TEXT:
                break
            position += 1
        block = range(index, last_header + 1)
        for position in block:
            if headers >= 3:
                kinds[position] = Kind.MARKER
            elif kinds[position] is Kind.HEADER:
                kinds[position] = Kind.TEXT
        index = last_header + 1


# Selection ---------------------------------------------------------------------------


def _select(lines: list[str], kinds: list[Kind]) -> list[str]:
    if Kind.DELIMITER in kinds:
        cut = kinds.index(Kind.DELIMITER)
        lines, kinds = lines[:cut], kinds[:cut]
    pairs: list[tuple[Kind, str]] = [
        (k, line) for k, line in zip(kinds, lines, strict=True) if k is not Kind.SIGNATURE
    ]
    kept = _new_part(pairs)
    if any(kind is Kind.TEXT for kind, _ in kept):
        while kept and kept[-1][0] in (Kind.QUOTE, Kind.EMPTY):
            kept.pop()
    return [line for _, line in kept]


def _new_part(pairs: list[tuple[Kind, str]]) -> list[tuple[Kind, str]]:
    kinds = [kind for kind, _ in pairs]
    if Kind.MARKER not in kinds:
        return pairs
    first = kinds.index(Kind.MARKER)
    if Kind.TEXT not in kinds[:first]:
        # Nothing written above the first marker: the reply is below it.
        after = first
        while after < len(kinds) and kinds[after] in (Kind.MARKER, Kind.QUOTE, Kind.EMPTY):
            after += 1
        return _new_part(pairs[after:])
    head, tail = pairs[:first], pairs[first + 1 :]
    tail_kinds = [kind for kind, _ in tail]
    if Kind.QUOTE not in tail_kinds:
        return head  # the quoted message is not quoted with ">": all of it goes
    rest = 0
    while rest < len(tail_kinds) and tail_kinds[rest] in (Kind.MARKER, Kind.QUOTE, Kind.EMPTY):
        rest += 1
    answer = tail_kinds[rest:]
    if Kind.QUOTE not in answer and answer.count(Kind.TEXT) < MIN_ANSWER_LINES:
        return head  # a short tail under the quote is its signature
    return head + [(kind, line) for kind, line in tail if kind is not Kind.MARKER]
