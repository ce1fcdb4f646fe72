"""Every tutorial chapter runs, top to bottom, as a learner would run it (quick mode)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "tutorials").glob("[0-9][0-9]_*.py"))


def test_there_are_chapters():
    assert CHAPTERS, "no tutorial chapters found"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_runs(chapter):
    env = dict(os.environ, MINISORA_QUICK="1", MPLBACKEND="Agg")
    result = subprocess.run(
        [sys.executable, str(chapter)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, f"{chapter.name} failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
