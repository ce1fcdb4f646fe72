"""Every tutorial chapter runs, top to bottom, as a learner would run it (quick mode), and calls
the library in Python, never through the ``minisora`` command."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "tutorials").glob("[0-9][0-9]_*.py"))
PARAMS = [pytest.param(p, id=p.stem) for p in CHAPTERS]


def test_there_are_chapters():
    assert CHAPTERS, "no tutorial chapters found"


def cli_uses(chapter: Path) -> list[str]:
    """Imports of ``minisora.cli`` (the argparse layer): a chapter shows shell commands as text only."""
    found = []
    for node in ast.walk(ast.parse(chapter.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("minisora.cli")]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("minisora"):
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            found += [n for n in names if n == "minisora.cli" or n.startswith("minisora.cli.")]
    return found


def test_chapters_call_python_not_the_cli():
    assert {p.name: u for p in CHAPTERS if (u := cli_uses(p))} == {}


@pytest.mark.parametrize("chapter", PARAMS)
def test_chapter_runs(chapter, chapter_env):
    env = dict(os.environ, **chapter_env, MPLBACKEND="Agg")
    result = subprocess.run(
        [sys.executable, str(chapter)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, f"{chapter.name} failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
