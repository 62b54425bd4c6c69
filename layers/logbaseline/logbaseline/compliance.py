"""A framework's view of a scan (`logbaseline compliance`): each requirement the controls hold, with the
status of the results of the controls that hold it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from logbaseline.controls import all_controls
from logbaseline.controls._benchmarks import BENCHMARK, RECOMMENDATIONS, V1_4, V3_0, requirement
from logbaseline.engine import Outcome, ReadFailure
from logbaseline.models import Status
from logbaseline.tables import ERROR

SECURITY_HUB = "Security Hub "  # how a control names the Security Hub (FSBP) control it matches
FRAMEWORKS = {
    "cis-3.0": f"{BENCHMARK} {V3_0}",
    "cis-1.4": f"{BENCHMARK} {V1_4}",
    "fsbp": "AWS Foundational Security Best Practices (Security Hub control ids)",
}


@dataclass(frozen=True)
class Requirement:
    id: str  # the framework's own number or control id
    title: str
    control_ids: tuple[str, ...]  # the logbaseline controls that hold it


@dataclass(frozen=True)
class Judged:
    requirement: Requirement
    status: str  # FAILED, ERROR, PASSED or NOT_APPLICABLE
    passed: int
    failed: int
    exempt: int  # FAILED, and exempt by a person's tag: not counted as failed
    errors: int


def requirements(framework: str) -> list[Requirement]:
    """The framework's requirements that some control holds, in the framework's order."""
    controls = all_controls()
    if framework == "fsbp":
        by_id: dict[str, list[str]] = {}
        for control in controls:
            for text in control.related_requirements:
                if text.startswith(SECURITY_HUB):
                    by_id.setdefault(text.removeprefix(SECURITY_HUB), []).append(control.id)
        titles = {c.id: c.title for c in controls}
        return [
            Requirement(key, titles[ids[0]], tuple(ids))
            for key, ids in sorted(by_id.items(), key=lambda kv: _order(kv[0]))
        ]
    version = FRAMEWORKS[framework].removeprefix(f"{BENCHMARK} ")
    found = []
    for (v, number), (title, _) in sorted(RECOMMENDATIONS.items(), key=lambda kv: _order(kv[0][1])):
        if v == version:
            held = tuple(c.id for c in controls if requirement(v, number) in c.related_requirements)
            found.append(Requirement(number, title, held))
    return found


def _order(key: str) -> tuple[object, ...]:
    """'3.10' after '3.9', 'EC2.6' before 'EC2.10'."""
    return tuple(int(part) if part.isdigit() else part for part in key.replace(".", " ").split())


def judge(framework: str, outcomes: Sequence[Outcome], failures: Sequence[ReadFailure] = ()) -> list[Judged]:
    judged = []
    for req in requirements(framework):
        mine = [o for o in outcomes if o.control.id in req.control_ids]
        passed = sum(o.verdict.status is Status.PASSED for o in mine)
        failed = sum(o.verdict.status is Status.FAILED and not o.exempt for o in mine)
        exempt = sum(o.verdict.status is Status.FAILED and o.exempt for o in mine)
        errors = sum(f.control_id in req.control_ids for f in failures)
        status = "FAILED" if failed else ERROR if errors else "PASSED" if passed or exempt else "NOT_APPLICABLE"
        judged.append(Judged(req, status, passed, failed, exempt, errors))
    return judged
