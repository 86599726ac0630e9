"""The subcommands of the CLI: each module has ``register(subparsers)`` and ``run(args, ui)``."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator


process_exits_after_command = False
"""Set by the console-script entry point: the process ends when the command returns."""


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Keep Python's cyclic garbage collector off for a short command (resolve, env).

    A resolve builds a few hundred thousand long-lived objects (listings, parsed requirements,
    the solver's sets) and the collector would trace them again and again while they are
    built: about 30 ms of a 160 ms ``pkgimport resolve`` (measured in
    ``benchmarks/bench_resolve.py``). Nothing a resolve creates needs collecting before the
    command ends; the collector is turned back on afterwards, unless the process ends with
    the command (turning it on would start one last collection of everything, for nothing).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled and not process_exits_after_command:
            gc.enable()
