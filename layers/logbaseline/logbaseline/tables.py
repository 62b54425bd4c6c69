"""Results as the command line prints them: rows (JSON, CSV) and a table that fits 120 columns."""

from __future__ import annotations

import csv
import io
import textwrap
from collections.abc import Mapping, Sequence

from tabulate import tabulate

from logbaseline.controls import REGISTRY, load
from logbaseline.engine import Outcome, ReadFailure
from logbaseline.models import Severity

WIDTH = 120  # the widest a table may print
GAP = 2  # tabulate's "simple" format puts two spaces between columns
MIN_FLEXIBLE = 12
ERROR = "ERROR"  # the status of a row whose control could not read in its region
# A row's fields, in the order JSON and CSV give them.
FIELDS = (
    "account_id",
    "region",
    "control_id",
    "severity",
    "status",
    "resource_type",
    "resource_id",
    "reason",
    "exemption",
)
SEVERITY_RANK = {s.value: rank for rank, s in enumerate(reversed(Severity))}  # CRITICAL first


def outcome_row(outcome: Outcome) -> dict[str, str]:
    return outcome.as_row() | {
        "severity": outcome.control.severity.value,
        "exemption": outcome.exemption.note if outcome.exemption else "",
    }


def error_row(failure: ReadFailure) -> dict[str, str]:
    """A control that could not read in a region, as a result row: the scan goes on without it."""
    control = load(failure.control_id)
    return {
        "control_id": failure.control_id,
        "account_id": failure.account_id,
        "region": failure.region,
        "resource_type": control.resource_type,
        "resource_id": "",
        "status": ERROR,
        "reason": f"could not read: {failure.reason}",
        "severity": control.severity.value,
        "exemption": "",
    }


def ordered(rows: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
    """By severity (CRITICAL first), then control, then region and resource."""
    return sorted(
        (dict(row) | {"severity": row.get("severity") or _severity(row["control_id"])} for row in rows),
        key=lambda r: (SEVERITY_RANK.get(r["severity"], 99), r["control_id"], r["region"], r["resource_id"]),
    )


def _severity(control_id: str) -> str:
    return load(control_id).severity.value if control_id in REGISTRY else ""


def as_csv(rows: Sequence[Mapping[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(ordered(rows))
    return out.getvalue()


def short_resource(resource_id: str) -> str:
    """The ARN's resource part (account and region are columns, or the same for every row)."""
    if resource_id.startswith("AWS::::Account:"):  # an account-level control's resource
        return "account"
    parts = resource_id.split(":", 5)
    return parts[5] if resource_id.startswith("arn:") and len(parts) == 6 else resource_id


def fitted(rows: list[list[str]], headers: Sequence[str], flexible: Mapping[int, float], width: int = WIDTH) -> str:
    """A table no wider than `width`: the fixed columns at their widest, the flexible ones (index -> share)
    wrapped into what is left."""
    natural = [len(str(header)) + GAP for header in headers]  # tabulate pads a header by two spaces
    for row in rows:
        for index, cell in enumerate(row):
            natural[index] = max(natural[index], *(len(line) for line in str(cell).splitlines() or [""]))
    fixed = sum(w for i, w in enumerate(natural) if i not in flexible)
    free = max(width - fixed - GAP * (len(headers) - 1), MIN_FLEXIBLE * len(flexible))
    limits: list[int | None] = [None] * len(headers)
    total_share = sum(flexible.values())
    for index, share in flexible.items():
        # One less than the share: tabulate's wrapping may leave a line one character over the limit.
        limits[index] = max(MIN_FLEXIBLE, min(natural[index], int(free * share / total_share) - 1))
    return tabulate(rows, headers=headers, maxcolwidths=limits, disable_numparse=True)


def table(rows: Sequence[Mapping[str, str]], width: int = WIDTH) -> str:
    """The results for people, no wider than `width`: one line per result (severity first; the region column
    only when there are several), its reason on the lines below, under the control."""
    rows = ordered(rows)
    regions = sorted({r["region"] for r in rows})
    headers = ["severity", "status", "control_id"] + (["region"] if len(regions) > 1 else []) + ["resource"]
    cells = [
        [r["severity"], r["status"], r["control_id"]]
        + ([r["region"]] if len(regions) > 1 else [])
        + [short_resource(r["resource_id"])]
        for r in rows
    ]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(headers)]
    widths[-1] = max(MIN_FLEXIBLE, min(widths[-1], width - sum(widths[:-1]) - GAP * (len(headers) - 1)))
    indent = " " * (sum(widths[:2]) + 2 * GAP)  # the reason starts under the control
    lines = [f"region {regions[0]}"] if len(regions) == 1 else []
    lines += [_line(headers, widths), _line(["-" * w for w in widths], widths)]
    for row, cell in zip(rows, cells, strict=True):
        parts = textwrap.wrap(cell[-1], widths[-1], break_on_hyphens=False) or [""]
        lines.append(_line(cell[:-1] + parts[:1], widths))
        lines += [_line([""] * (len(cell) - 1) + [part], widths) for part in parts[1:]]
        reason = row["reason"] + (f" [{row['exemption']}]" if row.get("exemption") else "")
        lines += textwrap.wrap(reason, width, initial_indent=indent, subsequent_indent=indent)
    return "\n".join(lines)


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return (" " * GAP).join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
