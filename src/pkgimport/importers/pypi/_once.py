"""Compute each key once per run, even when several threads ask for it at the same time."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable

__all__ = ["OnceMap"]

_V = TypeVar("_V")


class OnceMap(Generic[_V]):
    """A map whose values are computed on first use; concurrent askers wait for the first.

    Failures are remembered too: every caller of a key that failed gets the same exception.

    >>> calls = []
    >>> once: OnceMap[int] = OnceMap()
    >>> once.get("a", lambda: calls.append(1) or 42), once.get("a", lambda: 0), calls
    (42, 42, [1])
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._futures: dict[Hashable, Future[_V]] = {}

    def get(self, key: Hashable, compute: Callable[[], _V]) -> _V:
        """Return the value of *key*, computing it with *compute* the first time."""
        with self._lock:
            future = self._futures.get(key)
            owner = future is None
            if future is None:
                future = self._futures[key] = Future()
        if owner:
            try:
                future.set_result(compute())
            except BaseException as exc:  # noqa: BLE001 - handed to every waiter, re-raised below
                future.set_exception(exc)
        return future.result()

    def clear(self) -> None:
        """Forget every value."""
        with self._lock:
            self._futures.clear()
