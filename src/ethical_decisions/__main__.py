"""``python -m ethical_decisions``: the same as the ``ethical-decisions`` command."""

from __future__ import annotations

import sys

from ethical_decisions.cli import main

if __name__ == "__main__":
    sys.exit(main())
