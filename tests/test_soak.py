"""A short soak (300 messages in waves of 100) on the session's emulator: nothing lost, nothing fixed twice.

It runs with every test (about 30 s); alone: `.venv/bin/pytest -m soak`. The full run is
`.venv/bin/python -m benchmarks.soak` (10,000 messages).
"""

from __future__ import annotations

import pytest

from benchmarks import soak


@pytest.mark.soak
def test_a_short_soak_loses_nothing_and_fixes_each_gap_once(aws):
    summary = soak.run(events=300, seed_value=1, wave_size=100)
    print("\n".join(summary.lines()))
    assert summary.problems == []
    assert summary.events >= 300
    assert summary.events == summary.evaluated + summary.dead_lettered
    assert summary.dead_lettered == summary.bad_messages > 0
    assert summary.fixes == summary.gaps
    assert summary.gaps[soak.RETENTION] > 0 and summary.gaps[soak.FLOW_LOGS] > 0
