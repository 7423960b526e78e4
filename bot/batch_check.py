"""``groupguard check --stdin``: lines in, one verdict each out, in input order, on several
processes when the input is long.

Detection is pure CPU work in Python, so one process uses one core however the output is
written. Long inputs are cut into chunks that worker processes render while the parent reads
ahead and writes the results in order. Workers are forked after the detector is loaded, so they
share it copy-on-write and nothing is loaded or pickled twice; where ``fork`` is not available, or
for a short input, the parent renders everything itself.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice
from typing import TextIO

# Lines per chunk: large enough that passing a chunk between processes costs little beside
# rendering it, small enough that a short input stays in one process.
CHUNK_LINES = 4096
# Workers beyond this rarely pay for themselves: the parent's reading and writing is serial.
MAX_JOBS = 8

# Renders a chunk of lines: the output text (one line or block per input line, each ending with
# a newline) and whether any line had a hit.
Render = Callable[[list[str]], tuple[str, bool]]

# The renderer a worker process uses. A worker is forked with it already in place (the pool's
# initializer runs in the child), so the process itself is the scope of this one slot.
_WORKER_RENDER: list[Render] = []


def default_jobs() -> int:
    """One worker per available core, within MAX_JOBS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not every platform has affinity
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_JOBS))


def chunks(lines: Iterable[str], size: int = CHUNK_LINES) -> Iterator[list[str]]:
    it = iter(lines)
    while chunk := list(islice(it, size)):
        yield chunk


def _start_worker(render: Render) -> None:
    _WORKER_RENDER[:] = [render]


def _render_in_worker(chunk: list[str]) -> tuple[str, bool]:
    return _WORKER_RENDER[0](chunk)


def check_lines(lines: Iterable[str], render: Render, out: TextIO, *, jobs: int) -> bool:
    """Write ``render``'s output for every line of ``lines`` to ``out`` in input order; True when
    any line had a hit. ``jobs`` > 1 renders on that many forked worker processes once the input
    is longer than one chunk."""
    parts = chunks(lines)
    head = list(islice(parts, 2))
    parallel = jobs > 1 and len(head) > 1 and "fork" in multiprocessing.get_all_start_methods()
    if not parallel:
        return _write_all(map(render, chain(head, parts)), out)
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs, initializer=_start_worker, initargs=(render,)) as pool:
        return _write_all(pool.imap(_render_in_worker, chain(head, parts)), out)


def _write_all(rendered: Iterable[tuple[str, bool]], out: TextIO) -> bool:
    hit_any = False
    for text, hit in rendered:
        out.write(text)
        hit_any = hit_any or hit
    out.flush()
    return hit_any
