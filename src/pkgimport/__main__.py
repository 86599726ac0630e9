"""``python -m pkgimport``."""

from __future__ import annotations

from pkgimport.cli import run

if __name__ == "__main__":  # pragma: no cover
    run(prog="python -m pkgimport")
