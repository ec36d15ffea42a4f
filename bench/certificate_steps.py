"""Benchmark: where a worker's CPU goes for each certificate of a batch, step by step
(HTML and QR code, parsing, cascade and layout, metadata, writing the PDF, reading it
back), in milliseconds of this process's CPU per certificate. No database, no workers:
one warm renderer drawing batches of 12 as `pdu provider issue` does.

    .venv/bin/python bench/certificate_steps.py              # 10 batches of 12
    .venv/bin/python bench/certificate_steps.py --batches 30

The read-back, before and after PDFium replaced the hand-written PDF reader (templates/
pdf_text.py), on the same 12 certificates, the machine shared with other work (2026-12-03):
hand-written reader 4.85 ms, pypdfium2 4.17 ms, pypdf 62.9 ms a certificate. The last two
lines below measure PDFium and pypdf again on each run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.certificates import FIRST, LAST  # noqa: E402
from templates.certificate_data import CertificateData  # noqa: E402
from templates.pdf import CertificateRenderer, check_not_blank, metadata, parse_html  # noqa: E402
from templates.pdf_text import extract_text  # noqa: E402

BATCH = 12


def records() -> list[tuple[CertificateData, list[tuple[str, bytes, str]]]]:
    items = []
    for i in range(BATCH):
        code = f"ABCD-EFGH-JK{i % 10}M-NPQR"
        number = f"PDU-2026-{i + 1:06d}"
        data = CertificateData(
            holder_name=f"{FIRST[i % len(FIRST)]} {LAST[(i * 7) % len(LAST)]}",
            license_number=str(100000 + i),
            activity_title="Montana Literacy Summit 2026",
            provider="Big Sky Learning Collaborative",
            start_date=date(2026, 11, 19),
            end_date=date(2026, 11, 20),
            hours=Decimal("12"),
            number=number,
            issue_date=date(2026, 11, 23),
            verification_code=code,
            verification_url=f"https://pdu.opi.example/verify/{code}",
            issuer_name="Office of Public Instruction",
            issuer_title="Educator Licensure, Professional Development Units",
        )
        credential = json.dumps({"id": data.verification_url, "pad": "x" * 3000}).encode()
        items.append((data, [(f"{number}.credential.json", credential, "credential")]))
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=10, help="batches of 12 (default 10)")
    args = parser.parse_args()
    renderer = CertificateRenderer()
    items = records()
    renderer.render_many(items)  # warm: fonts, stylesheet, stationery
    spent: dict[str, float] = defaultdict(float)

    def step(name: str, began: float) -> float:
        now = time.process_time()
        spent[name] += now - began
        return now

    for _ in range(args.batches):
        began = time.process_time()
        bodies, head = [], ""
        for data, _ in items:
            first, rest = renderer.html(data, stationery=False, particulars=True).split("<body>", 1)
            head = head or first
            bodies.append(f'<div class="batch-page">{rest.split("</body>", 1)[0]}</div>')
        began = step("HTML and QR code", began)
        html = parse_html(f"{head}<body>{''.join(bodies)}</body></html>")
        began = step("parsing the HTML", began)
        document = html.render(
            font_config=renderer._font_config,
            stylesheets=[renderer._stylesheet, renderer._batch_stylesheet],
            cache=renderer._image_cache,
        )
        began = step("cascade and layout", began)
        stationery = renderer._stationery_for(items[0][0])
        pdfs = []
        for page, (data, attachments) in zip(document.pages, items, strict=True):
            single = document.copy([page])
            single.metadata = metadata(data)
            began = step("metadata", began)
            pdfs.append(
                single.write_pdf(
                    finisher=renderer._finisher(stationery),
                    **renderer._options(data, attachments),
                )
            )
            began = step("drawing and writing the PDF", began)
        for pdf, (data, _) in zip(pdfs, items, strict=True):
            check_not_blank(pdf, data)
        began = step("reading the text back", began)
        for pdf in pdfs:
            extract_text(pdf)
        step("(pypdf, for comparison)", began)  # shown, left out of the total
    count = args.batches * BATCH
    for name, seconds in spent.items():
        print(f"{name:<30}{seconds / count * 1000:6.1f} ms")
    total = sum(v for k, v in spent.items() if not k.startswith("("))
    print(f"{'total':<30}{total / count * 1000:6.1f} ms a certificate")


if __name__ == "__main__":
    main()
