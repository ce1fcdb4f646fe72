"""The ``minisora`` command: ``parser.py`` (flags), ``commands.py`` (flags -> library calls),
``demo.py`` (the whole pipeline as the commands a user would type)."""

from __future__ import annotations

import sys

from .commands import run as main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
