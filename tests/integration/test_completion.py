"""Shell completion (argcomplete): the real `pdu` executable answers bash's and zsh's
completion requests, and `pdu completion SHELL` prints the code that wires it up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PDU = str(Path(sys.executable).parent / "pdu")


def completions(line: str, tmp_path: Path) -> list[str]:
    out = tmp_path / "completions"
    env = dict(
        os.environ, _ARGCOMPLETE="1", _ARGCOMPLETE_IFS="\n", COMP_LINE=line,
        COMP_POINT=str(len(line)), _ARGCOMPLETE_STDOUT_FILENAME=str(out),
    )  # fmt: skip
    done = subprocess.run([PDU], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return sorted(out.read_text().split())


def test_a_command_and_its_subcommands_complete(tmp_path: Path) -> None:
    assert completions("pdu cert", tmp_path) == ["certificate"]
    assert {"list", "verify", "revoke"} <= set(completions("pdu certificate ", tmp_path))


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_pdu_completion_prints_the_shell_code(shell: str) -> None:
    done = subprocess.run([PDU, "completion", shell], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "_python_argcomplete" in done.stdout and "pdu" in done.stdout
