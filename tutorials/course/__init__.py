"""What the chapters share: quick mode, where their figures go, and the exercises' checks.

A chapter imports this package as ``course`` (it lives beside the chapters, so both
``python tutorials/NN_name.py`` and a notebook opened from ``tutorials/`` find it):

    from course import QUICK, show
    ...
    show(fig, "02_masks.png")   # saved next to the chapter; drawn inline in a notebook

Each chapter's exercises have their checks in ``course/chNN.py``; the reference solutions
are in ``tutorials/solutions/chNN.py``. A check prints one line, right or not yet, and
returns True or False; it never raises, so an unanswered exercise does not stop a chapter.
"""

from __future__ import annotations

import os
import traceback
from pathlib import Path

QUICK = os.environ.get("MINISORA_QUICK") == "1"  # smaller, faster runs (the test suite uses it)
TUTORIALS = Path(__file__).resolve().parent.parent  # the folder the chapters and their figures are in


def show(fig, name: str) -> Path:
    """Save ``fig`` as ``tutorials/NAME`` and draw it inline when a notebook runs the chapter.

    As a script the figure is only saved (and closed, so a window never blocks the run).
    """
    import matplotlib
    import matplotlib.pyplot as plt

    path = TUTORIALS / name
    fig.savefig(path, dpi=110, bbox_inches="tight")
    if "inline" in matplotlib.get_backend():  # a Jupyter kernel: the notebook shows it under the cell
        plt.show()
    else:
        plt.close(fig)
    print(f"figure: tutorials/{name}")
    return path


class NotYet(Exception):
    """Raised inside a check when an answer is wrong; its message is the one line the learner sees."""


def check(title: str, test) -> bool:
    """Run ``test()`` (which raises :class:`NotYet` or fails an assertion on a wrong answer) and say so.

    An exercise still holding ``raise NotImplementedError`` is reported as not done yet; any other
    error in the learner's code is shown with its last line, so the chapter keeps running.
    """
    try:
        test()
    except NotImplementedError:
        print(f"[ ] {title}: not done yet (replace the `raise NotImplementedError`).")
        return False
    except (NotYet, AssertionError) as wrong:
        print(f"[x] {title}: not yet right — {wrong}")
        return False
    except Exception as error:  # the learner's code raised: show where, keep going
        last = traceback.format_exception_only(type(error), error)[-1].strip()
        print(f"[x] {title}: your code raised {last}")
        return False
    print(f"[✓] {title}: right.")
    return True
