"""Parse a ``--time`` value the way ``rez-env --time`` does.

Two forms exist: an epoch time in seconds (``1418350671``) and a time relative to now
(``-12s``, ``-5.4m``, ``-2h``, ``-1d``). Relative times never go below 0.

>>> parse_time("1418350671")
1418350671
>>> parse_time("-2h", now=10_000)
2800
"""

from __future__ import annotations

import re
import time

from pkgimport.errors import InvalidRequirement

__all__ = ["InvalidTime", "parse_time"]

_UNITS = {"d": 24 * 60 * 60, "h": 60 * 60, "m": 60, "s": 1}
# rez calls float() on what sits between '-' and the unit, so '-1.5d' and '-2e1m' are valid.
_RELATIVE_RE = re.compile(r"-(?P<amount>[0-9.eE+]+)(?P<unit>[dhms])\Z")


class InvalidTime(InvalidRequirement):
    """A ``--time`` value is neither an epoch time nor a relative time like ``-2d``."""

    hint = "use an epoch time in seconds (1700000000) or a time before now (-30s, -5m, -2h, -1d)"


def parse_time(text: str, *, now: float | None = None) -> int:
    """Return the epoch time (seconds) that *text* names.

    :param text: ``"<epoch>"`` or ``"-<amount><d|h|m|s>"``.
    :param now: the current time; defaults to :func:`time.time` (a parameter for tests).
    :raises InvalidTime: *text* is in neither form.

    >>> parse_time("-1d", now=100_000)
    13600
    >>> parse_time("-3m", now=60)
    0
    """
    stripped = text.strip()
    try:
        return int(stripped)
    except ValueError:
        pass
    match = _RELATIVE_RE.match(stripped)
    if match is not None:
        try:
            amount = float(match["amount"])
        except ValueError:
            amount = -1.0
        if amount >= 0:
            seconds = int(amount * _UNITS[match["unit"]])
            current = int(time.time() if now is None else now)
            return max(current - seconds, 0)
    raise InvalidTime(f"{text!r} is not a time: expected an epoch time or e.g. -2d, -5m, -2h")
