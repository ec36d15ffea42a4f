"""docs/workflow.svg is the transition table as it is, not as it was."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

from models.workflow import TRANSITIONS, Event
from models.workflow_drawing import workflow_svg

DRAWING = Path(__file__).resolve().parents[2] / "docs" / "workflow.svg"


def test_the_committed_drawing_equals_a_fresh_one_from_the_table() -> None:
    assert DRAWING.read_text(encoding="utf-8") == workflow_svg(), (
        "docs/workflow.svg is stale: regenerate it (see models/workflow_drawing.py)"
    )


def test_every_state_and_event_of_the_table_is_in_the_drawing() -> None:
    texts = {el.text for el in ElementTree.fromstring(workflow_svg()).iter() if el.text}
    words = " ".join(sorted(t for t in texts if t))
    for table in TRANSITIONS.values():
        for (source, event), target in table.items():
            assert source.value in texts and target.value in texts
            assert event is Event.PURGE or event.value in words
