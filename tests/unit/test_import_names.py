"""Our `mailbox` package shadows the stdlib module on purpose; nothing else may collide."""

import importlib.metadata
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOP_LEVEL = [
    p.name
    for p in ROOT.iterdir()
    if (p.is_dir() and (p / "__init__.py").exists()) or (p.suffix == ".py" and p.is_file())
]


def test_mailbox_is_the_projects_own_package():
    import mailbox

    assert Path(mailbox.__file__).resolve() == ROOT / "mailbox" / "__init__.py"


def test_mailbox_is_ours_when_an_entry_point_runs_from_another_directory(tmp_path):
    # An installed console script starts with its own bin/ first on sys.path, not the root.
    code = "import flows, mailbox; print(mailbox.__file__)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout
    assert Path(out.strip()).resolve() == ROOT / "mailbox" / "__init__.py"


def test_only_mailbox_collides_with_a_standard_library_module():
    collisions = {name for name in TOP_LEVEL if name.removesuffix(".py") in sys.stdlib_module_names}
    assert collisions == {"mailbox"}


def test_no_top_level_name_of_ours_is_also_an_installed_distributions_module():
    provided = importlib.metadata.packages_distributions()
    ours = {name.removesuffix(".py") for name in TOP_LEVEL}
    clashes = {
        name: dists
        for name in ours
        if (dists := [d for d in provided.get(name, []) if d != "pdu-workflows"])
    }
    assert clashes == {}


def test_no_flow_file_hijacks_a_module_name():
    # Prefect puts flows/ first on sys.path when it loads a path entrypoint.
    installed = set(importlib.metadata.packages_distributions())
    for path in (ROOT / "flows").glob("*.py"):
        name = path.stem
        if name == "__init__":
            continue
        assert name not in sys.stdlib_module_names, name
        assert name not in installed, name
        assert name not in {p.removesuffix(".py") for p in TOP_LEVEL}, name
