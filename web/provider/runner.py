"""Issuing uploaded rosters in the background of `pdu web`: one thread, started when a batch
is queued or its progress page is looked at, running every claimable batch
(models.services.batches) with the worker pool `pdu provider issue` uses, then ending. No
Prefect server is needed; under `pdu serve` the mailbox poll runs queued batches too (those
sent by email), and the claim keeps each batch to one runner.
"""

from __future__ import annotations

import logging
import threading

from models.services.batches import run_queued
from models.uow import UnitOfWork

log = logging.getLogger(__name__)


class BatchRunner:
    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers
        self._again = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def wake(self) -> None:
        """Something was queued (or someone waits on a batch): run what is claimable."""
        with self._lock:
            self._again = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="pdu-batches", daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while True:
            with self._lock:
                if not self._again:  # nothing asked since the last run: end until woken
                    self._thread = None
                    return
                self._again = False
            try:
                run_queued(UnitOfWork, workers=self.workers)
            except Exception:  # logged; the batch stays claimable and is retried
                log.exception("issuing a roster batch failed")
