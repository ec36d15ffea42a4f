"""Shell completion for bash and zsh (argcomplete): `eval "$(pdu completion bash)"`.

argcomplete, not a move to click/typer: it completes the argparse parser every command
group already registers on, so the three groups being added in parallel complete too with
no change of theirs, and a tab press never imports Prefect (completion runs before any
command's import)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from flows.cli_support import print_result


def register(commands: Any) -> None:
    completion = commands.add_parser(
        "completion",
        help="print the shell code that completes pdu's commands and options",
        description='Add to ~/.bashrc: eval "$(pdu completion bash)"; to ~/.zshrc: '
        'eval "$(pdu completion zsh)".',
    )
    completion.add_argument("shell", choices=("bash", "zsh"))
    completion.add_argument("--json", action="store_true", help='{"shell": ..., "code": ...}')
    completion.set_defaults(handler=print_completion)


def print_completion(args: argparse.Namespace) -> int:
    from argcomplete.shell_integration import shellcode

    code = shellcode(["pdu"], shell=args.shell)
    return print_result(args.json, {"shell": args.shell, "code": code}, code)


def complete_if_asked(parser: argparse.ArgumentParser) -> None:
    """Answer the shell's completion request and exit, when this run is one."""
    if "_ARGCOMPLETE" in os.environ:
        import argcomplete

        argcomplete.autocomplete(parser)
