"""Long work shows a progress bar on a terminal (count, total, time left), plain output
otherwise, and colour never under NO_COLOR."""

from __future__ import annotations

import io

import pytest

from flows.cli_support import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_not_a_terminal_gets_no_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stderr", io.StringIO())
    with progress("issuing certificates") as on_progress:
        assert on_progress is None


def test_a_terminal_gets_a_bar_with_the_count_and_total(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = Terminal()
    monkeypatch.setattr("sys.stderr", screen)
    monkeypatch.setenv("NO_COLOR", "1")
    with progress("issuing certificates") as on_progress:
        assert on_progress is not None
        on_progress(2, 3)
        on_progress(3, 3)
    shown = screen.getvalue()
    assert "issuing certificates" in shown and "3/3" in shown
    assert "\x1b[3" not in shown  # no foreground colour codes under NO_COLOR


def test_colour_is_used_on_a_terminal_without_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = Terminal()
    monkeypatch.setattr("sys.stderr", screen)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    with progress("purging cases") as on_progress:
        assert on_progress is not None
        on_progress(5)
    assert "\x1b[" in screen.getvalue()
