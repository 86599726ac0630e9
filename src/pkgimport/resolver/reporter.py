"""Progress hooks for the solver (resolvelib's ``BaseReporter`` pattern).

Every hook is a no-op here; subclass and override the ones you need. Hooks must not change
the solve: they are called for information only.

>>> class Counter(BaseReporter):
...     steps = 0
...     def step(self, number: int, phase: str, status: str) -> None:
...         self.steps += 1
"""

from __future__ import annotations

__all__ = ["BaseReporter"]


def __dir__() -> list[str]:
    return __all__


class BaseReporter:
    """Solver progress hooks; all no-ops."""

    def starting(self, request: str) -> None:
        """Report the merged request, once, before the first step."""

    def step(self, number: int, phase: str, status: str) -> None:
        """Report one finished solve step.

        ``number`` counts from 1; ``phase`` is the phase as rez's verbose output shows it
        (``python[2.6..2.7(2)] [foo==1]*``); ``status`` is its new status (``solved``,
        ``exhausted``, ``failed`` or ``cyclic``).
        """

    def split(self, preferred: str, rest: str) -> None:
        """Report an exhausted phase split into ``preferred`` and ``rest``."""

    def missing_family(self, message: str) -> None:
        """Report a required family that does not exist (rez prints ``message`` to stderr).

        Only called with ``error_on_missing_variant_requires`` off; the phase then fails.
        """

    def ending(self, status: str) -> None:
        """Report the end of the solve (``solved``, ``failed`` or ``aborted``)."""
