"""The engine's machinery, beside what its results say (test_compute.py, test_rules.py)."""

from __future__ import annotations

import gc
import weakref

from sheetsync.engine import gc_paused


class _Node:
    """A value that can refer to itself: only the cyclic collector frees such a value."""

    link: object = None


def test_a_paused_run_leaves_the_collector_on_and_frees_its_cycles_later():
    @gc_paused
    def run() -> weakref.ref[_Node]:
        assert not gc.isenabled()
        node = _Node()
        node.link = node  # dropped on return, freed by no reference count
        return weakref.ref(node)

    dropped = run()
    assert gc.isenabled()
    gc.collect()
    assert dropped() is None
