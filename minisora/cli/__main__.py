"""``python -m minisora.cli ARGS`` = ``minisora ARGS``."""

import sys

from . import main

sys.exit(main())
