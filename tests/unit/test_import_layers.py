"""The import rule: each layer imports only the layers below it, and no module imports itself
back through others (no circles). Read statically from the source with `ast`, so an import
inside a function or under `if TYPE_CHECKING:` counts like any other.

    bench/                      benchmarks: may use everything below
    flows/, web/                entry points: the `pdu` command, Prefect flows, the web front
    models/services/email/      the email channel: poll, receive, decide, reply
    models/services/            use cases, one transaction each
    models/*.py                 entities and pure rules
    mailbox/, templates/,       leaves: mail parsing and I/O, rendering, the development
    devmail/                    mail server; they import no other package of ours

The web never imports `flows` (the `pdu` command may start the web front, not the reverse).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bench", "flows", "web", "models", "mailbox", "templates", "devmail")

# (module prefix, layer name, rank): the longest matching prefix decides a module's layer.
LAYERS = (
    ("bench", "benchmarks", 5),
    ("flows", "entry points", 4),
    ("web", "entry points", 4),
    ("models.services.email", "the email channel", 3),
    ("models.services", "use cases", 2),
    ("models", "domain", 1),
    ("mailbox", "leaves", 0),
    ("templates", "leaves", 0),
    ("devmail", "leaves", 0),
)
FORBIDDEN = {("web", "flows")}  # same rank, one direction only
# Runs as `python -I devmail/server.py`, off our path: its `mailbox` is the standard library's.
NOT_OURS = {("devmail.server", "mailbox")}


@dataclass(frozen=True)
class Import:
    source: str  # importing module, dotted
    target: str  # imported module of ours, dotted
    path: str  # file, relative to the root
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line} imports {self.target}"


def module_files(root: Path) -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _ours(name: str, modules: dict[str, Path]) -> str | None:
    """The module of ours a dotted name refers to (a module, or a name inside one)."""
    parts = name.split(".")
    while parts:
        if ".".join(parts) in modules:
            return ".".join(parts)
        parts.pop()
    return None


def imports_of(root: Path, modules: dict[str, Path], module: str) -> Iterator[Import]:
    path = modules[module]
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    relative = str(path.relative_to(root))
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            # `from models.services import review` names a module; `from x import name`, x.
            names = [f"{base}.{alias.name}" for alias in node.names]
        seen = set()
        for name in names:
            target = _ours(name, modules)
            if target and target != module and target not in seen:
                seen.add(target)
                if (module, target.split(".")[0]) not in NOT_OURS:
                    yield Import(module, target, relative, node.lineno)


def all_imports(root: Path) -> list[Import]:
    modules = module_files(root)
    return [found for module in modules for found in imports_of(root, modules, module)]


def layer_of(module: str) -> tuple[str, int]:
    for prefix, name, rank in LAYERS:
        if module == prefix or module.startswith(prefix + "."):
            return name, rank
    raise AssertionError(f"{module} is in no layer: add it to LAYERS")


def wrong_way(found: Import) -> str | None:
    """Why this import breaks the layering, or None when it goes down (or stays level)."""
    source_layer, source_rank = layer_of(found.source)
    target_layer, target_rank = layer_of(found.target)
    top, other = found.source.split(".")[0], found.target.split(".")[0]
    if target_rank > source_rank:
        return f"{found}: {source_layer} may not import {target_layer} (upward)"
    if (top, other) in FORBIDDEN:
        return f"{found}: {top}/ may not import {other}/"
    if source_rank == 0 and top != other:
        return f"{found}: a leaf ({top}/) imports no other package of ours"
    return None


def circles(imports: list[Import]) -> list[list[Import]]:
    """One shortest circle through each strongly connected group of modules (Tarjan)."""
    edges: dict[str, dict[str, Import]] = {}
    for found in imports:
        edges.setdefault(found.source, {}).setdefault(found.target, found)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(edges):
        if node not in index:
            visit(node)
    found_circles = []
    for group in groups:
        start = min(group)
        paths: dict[str, list[Import]] = {start: []}
        queue = [start]
        while queue:  # breadth first: the shortest way from `start` back to itself
            node = queue.pop(0)
            for nxt, found in sorted(edges.get(node, {}).items()):
                if nxt == start:
                    queue = []
                    found_circles.append([*paths[node], found])
                    break
                if nxt in group and nxt not in paths:
                    paths[nxt] = [*paths[node], found]
                    queue.append(nxt)
    return found_circles


def test_every_module_of_ours_is_in_a_layer() -> None:
    for module in module_files(ROOT):
        layer_of(module)


def test_no_module_imports_a_layer_above_its_own() -> None:
    problems = [why for found in all_imports(ROOT) if (why := wrong_way(found))]
    assert problems == [], "imports against the layers:\n" + "\n".join(problems)


def test_no_module_imports_itself_back_through_others() -> None:
    found = circles(all_imports(ROOT))
    described = [
        " -> ".join([c[0].source, *(hop.target for hop in c)])
        + "\n    "
        + "\n    ".join(str(hop) for hop in c)
        for c in found
    ]
    assert described == [], "import circles:\n" + "\n".join(described)


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_the_rule_names_an_upward_import_even_inside_a_function(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "models/__init__.py": "",
            "models/cases.py": "def f():\n    from models.services import intake\n",
            "models/services/__init__.py": "",
            "models/services/intake.py": "",
        },
    )
    problems = [why for found in all_imports(root) if (why := wrong_way(found))]
    assert problems == [
        "models/cases.py:2 imports models.services.intake: domain may not import use cases (upward)"
    ]


def test_the_rule_names_each_hop_of_a_circle(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "models/__init__.py": "",
            "models/services/__init__.py": "",
            "models/services/a.py": "from models.services.b import x\n",
            "models/services/b.py": "from . import c\n",
            "models/services/c.py": "import models.services.a\n",
        },
    )
    [circle] = circles(all_imports(root))
    assert [str(hop) for hop in circle] == [
        "models/services/a.py:1 imports models.services.b",
        "models/services/b.py:1 imports models.services.c",
        "models/services/c.py:1 imports models.services.a",
    ]


def test_weasyprint_is_imported_only_under_templates() -> None:
    outside = []
    for module, path in module_files(ROOT).items():
        if module.startswith("templates"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(name.split(".")[0] == "weasyprint" for name in names):
                outside.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert outside == [], "WeasyPrint outside templates/: " + ", ".join(outside)
