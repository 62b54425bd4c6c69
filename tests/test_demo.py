"""`make demo`: the whole service on an embedded emulator, start to finish."""

import time

from logbaseline import demo

from tests.conftest import ROOT


def test_demo_closes_every_fixable_gap_in_under_a_minute():
    started = time.monotonic()
    result = demo.run(ROOT, say=lambda line: None)
    assert time.monotonic() - started < 60
    failed_before = {(r["control_id"], r["resource_id"]) for r in result.before if r["status"] == "FAILED"}
    failed_after = {(r["control_id"], r["resource_id"]) for r in result.after if r["status"] == "FAILED"}
    assert {c for c, _ in failed_before} == set(demo.ALL_AUTO.replace("=auto", "").split(","))  # a gap per control
    assert len(failed_after) == 1 and next(iter(failed_after))[1].endswith(":log-group:/aws/lambda/audit-archive")
    assert result.dead_lettered == 0 and result.fixes > 0
    statuses = {f["Resources"][0]["Id"]: f["Compliance"]["Status"] for f in result.findings}
    assert all(statuses[resource] == "PASSED" for _, resource in failed_before - failed_after)
