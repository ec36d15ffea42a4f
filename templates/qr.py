"""QR codes as PNG data URIs (segno, pure Python): the certificates' and the portal's."""

from __future__ import annotations

import segno

NAVY = "#17365d"


def qr_data_uri(text: str, *, scale: int, mask: int | None = None) -> str:
    """`text` as a QR code (medium error correction, a two-module quiet zone), navy on
    white, as a PNG data URI (the site's CSP allows `data:` images)."""
    code = segno.make(text, error="m", micro=False, mask=mask)
    return str(code.png_data_uri(scale=scale, border=2, dark=NAVY, light="#ffffff"))
