"""Every chapter runs top to bottom as a notebook in a real Jupyter kernel (quick mode), the way
the README's notebook command opens it: jupytext reads the paired script, nbclient executes it
with the kernel working in tutorials/. A chapter that works as a script but breaks as a notebook
fails here; so does a chapter whose figures do not appear under their cells."""

import re
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext", reason="jupytext is a test dependency (pip install -e '.[test]')")
nbclient = pytest.importorskip("nbclient", reason="nbclient is a test dependency (pip install -e '.[test]')")

ROOT = Path(__file__).resolve().parent.parent
TUTORIALS = ROOT / "tutorials"
CHAPTERS = sorted(TUTORIALS.glob("[0-9][0-9]_*.py"))
PARAMS = [pytest.param(p, id=p.stem) for p in CHAPTERS]


def images(notebook) -> int:
    """How many figures the executed notebook shows inline."""
    return sum("image/png" in out.get("data", {}) for cell in notebook.cells if cell.cell_type == "code"
               for out in cell.get("outputs", []))


@pytest.mark.parametrize("chapter", PARAMS)
def test_chapter_runs_as_a_notebook(chapter, monkeypatch, chapter_env):
    for name, value in chapter_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel draws inline, as in JupyterLab
    notebook = jupytext.read(chapter)
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(TUTORIALS)}})
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as error:
        plain = re.sub(r"\x1b\[[0-9;]*m", "", str(error))  # the kernel's traceback, without colours
        pytest.fail(f"{chapter.name} failed as a notebook: {error.ename}: {error.evalue}\n{plain[-3000:]}",
                    pytrace=False)
    assert images(notebook) >= 1, f"{chapter.name} shows no figure inline"
