"""The exercises' checks (tutorials/course/chNN.py) and reference solutions (tutorials/solutions/chNN.py)
are imported the way a chapter imports them: with tutorials/ on the path."""

import sys
from pathlib import Path

TUTORIALS = Path(__file__).resolve().parents[2] / "tutorials"
if str(TUTORIALS) not in sys.path:
    sys.path.insert(0, str(TUTORIALS))
