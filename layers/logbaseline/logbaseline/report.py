"""The HTML compliance report: one self-contained file (inline CSS and SVG, no script, no external asset).

Everything from AWS (resource names, reasons) is escaped: the template autoescapes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from jinja2 import Environment, PackageLoader, StrictUndefined

from logbaseline.engine.evaluation import Outcome
from logbaseline.models import Severity, Status

DOCS_URL = "docs/controls.md"  # the control catalogue; each control is an anchor (#<control_id>)
SEVERITY_ORDER = list(reversed(Severity))  # CRITICAL first


@dataclass(frozen=True)
class Tally:
    """PASSED, FAILED and NOT_APPLICABLE counts of one group of results; an exempt result (FAILED, which an
    exemption covers) is counted apart from FAILED, and still as not compliant."""

    key: tuple[str, ...]
    passed: int
    failed: int  # failing and not exempt
    not_applicable: int
    exempt: int = 0

    @property
    def evaluated(self) -> int:
        return self.passed + self.failed + self.exempt

    @property
    def compliance(self) -> str:
        return f"{100 * self.passed / self.evaluated:.0f}%" if self.evaluated else "n/a"


def tally(outcomes: Sequence[Outcome], key: Callable[[Outcome], tuple[str, ...]]) -> list[Tally]:
    groups: dict[tuple[str, ...], list[Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault(key(outcome), []).append(outcome)

    def count(group: list[Outcome], status: Status, exempt: bool = False) -> int:
        return sum(o.verdict.status is status and _exempt(o) is exempt for o in group)

    return [
        Tally(
            k,
            count(g, Status.PASSED),
            count(g, Status.FAILED),
            count(g, Status.NOT_APPLICABLE),
            count(g, Status.FAILED, exempt=True),
        )
        for k, g in groups.items()
    ]


def _exempt(outcome: Outcome) -> bool:
    return outcome.verdict.status is Status.FAILED and outcome.exempt


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("logbaseline", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(outcomes: Sequence[Outcome], *, generated_at: datetime | None = None, docs_url: str = DOCS_URL) -> str:
    """The report of a scan's outcomes, as one HTML document."""
    total = tally(outcomes, lambda o: ())
    by_control = sorted(tally(outcomes, lambda o: (o.control.id,)), key=lambda t: (-t.failed, t.key))
    by_place = sorted(tally(outcomes, lambda o: (o.account_id, o.region)), key=lambda t: t.key)
    failed = sorted(
        (o for o in outcomes if o.verdict.status is Status.FAILED),
        key=lambda o: (SEVERITY_ORDER.index(o.control.severity), o.control.id, o.region, o.resource_id),
    )
    controls = {o.control.id: o.control for o in outcomes}
    return (
        _environment()
        .get_template("report.html")
        .render(
            summary=total[0] if total else Tally((), 0, 0, 0, 0),
            by_control=by_control,
            by_place=by_place,
            controls=controls,
            failing=[o for o in failed if not o.exempt],
            exempt=[o for o in failed if o.exempt],
            accounts=sorted({o.account_id for o in outcomes}),
            regions=sorted({o.region for o in outcomes}),
            chart=[t for t in by_control if t.evaluated],
            scale=max((t.evaluated for t in by_control), default=1) or 1,
            docs_url=docs_url,
            generated_at=(generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC"),
        )
    )
