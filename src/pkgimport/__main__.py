"""``python -m pkgimport``."""

from __future__ import annotations

import sys

from pkgimport.cli import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:], prog="python -m pkgimport"))
