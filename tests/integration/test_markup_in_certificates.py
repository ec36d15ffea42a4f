"""Markup in what applicants type stays text on certificates: WeasyPrint is an HTML
engine, so an unescaped `<img src=…>` in a name or title would be fetched (a request from
our server to wherever the applicant points) and drawn."""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, HTTPServer

from templates.pdf import CertificateRenderer, extract_text
from tests.integration.test_certificate_pdf import DATA


def test_markup_in_a_name_and_a_title_is_printed_as_text_and_fetches_nothing():
    fetched: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fetched.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    data = replace(
        DATA,
        holder_name=f'Jane <img src="{url}/name.png">',
        activity_title=f'Reading <link rel="stylesheet" href="{url}/t.css"><script>x</script>',
    )
    try:
        renderer = CertificateRenderer()
        html = renderer.html(data, stationery=True, particulars=True)
        pdf = renderer.render(data)
    finally:
        server.shutdown()
        server.server_close()

    # The template's own seal is an <img>; the applicant's markup must not be one.
    assert f'<img src="{url}' not in html and "<script" not in html and "<link rel" not in html
    assert f"&lt;img src=&#34;{url}/name.png&#34;&gt;" in html
    text = re.sub(r"\s+", "", extract_text(pdf))
    assert "<script>x</script>" in text and "<img" in text
    assert fetched == []
