"""rez's own benchmark: 188 requests over 18,226 packages, pkgimport against rez 3.4.

GIVEN rez's benchmark repository (``rez/data/benchmarking/packages.tar.gz``, extracted here)
and its ``requests.json`` WHEN rez 3.4 and pkgimport resolve every request (no implicit
packages, as ``rez-benchmark`` does) THEN every result is identical: status, resolved
variants in order with their indexes, ephemerals, solve steps, failed phases and failure text.
The one expected failure is request #2 (a genuine ``nail`` conflict).

rez needs about four minutes for the 188 requests, so by default pkgimport is compared with
rez's recorded results (``fixtures/rez/benchmark-188.json``); ``--slow`` runs rez itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.resolver._rez_benchmark import (
    RECORDING,
    inputs_digest,
    load_requests,
    pkgimport_results,
    read_recording,
    rez_results,
    summarise,
)

if TYPE_CHECKING:
    from pathlib import Path

    from tests.resolver._rez_benchmark import Result

NAIL_CONFLICT = "The following package conflicts occurred: (nail-2.1+<3 <--!--> nail-1.2+<2)"


@pytest.fixture(scope="module")
def bench_requests() -> list[list[str]]:
    return load_requests()


@pytest.fixture(scope="module")
def ours(rez_benchmark_repo: Path, bench_requests: list[list[str]]) -> list[Result]:
    """pkgimport's results for the 188 requests (about five seconds)."""
    return pkgimport_results(rez_benchmark_repo, bench_requests)


def _differing(ours: list[Result], recorded: list[dict[str, Any]]) -> list[tuple[int, Any]]:
    pairs = zip((summarise(r) for r in ours), recorded, strict=True)
    return [(i, (a, b)) for i, (a, b) in enumerate(pairs) if a != b]


def test_pkgimport_solves_as_expected(bench_requests: list[list[str]], ours: list[Result]) -> None:
    assert len(bench_requests) == 188
    assert [r["status"] for r in ours].count("solved") == 187
    assert ours[2] == {**ours[2], "status": "failed", "failure": NAIL_CONFLICT}


def test_all_188_requests_identical_to_rezs_recorded_results(ours: list[Result]) -> None:
    recording = read_recording()
    # The recording holds for rez's own benchmark files only; a new rez means re-recording.
    assert recording["inputs"] == inputs_digest(), f"{RECORDING} is for other benchmark files"
    differing = _differing(ours, recording["results"])
    assert differing == [], (
        f"{len(differing)} request(s) differ from rez's recording (ours, rez's): "
        f"{differing[:3]}; run pytest --slow for rez's full results"
    )


@pytest.mark.slow
def test_all_188_requests_identical_to_rez(
    rez_benchmark_repo: Path, bench_requests: list[list[str]], ours: list[Result]
) -> None:
    theirs = rez_results(rez_benchmark_repo, bench_requests)
    differing = [i for i, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a != b]
    assert differing == [], [(i, ours[i], theirs[i]) for i in differing[:3]]
    # rez still gives what was recorded, so the fast comparison above stays meaningful.
    stale = _differing(theirs, read_recording()["results"])
    assert stale == [], (
        f"rez no longer matches {RECORDING}: {stale[:3]}; "
        "re-record with python -m tests.resolver._rez_benchmark"
    )
