"""Results as the command line prints them: rows (JSON, CSV) and a table that fits 120 columns."""

from __future__ import annotations

import csv
import io
import textwrap
from collections.abc import Mapping, Sequence

from logbaseline.controls import REGISTRY, load
from logbaseline.engine import Outcome, ReadFailure
from logbaseline.engine.accounts import AccountUnreachable
from logbaseline.models import Severity

WIDTH = 120  # the widest a table may print
GAP = 2  # spaces between columns
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
# CSV has no nested field: the exemption's parts in columns of their own, after its one-cell text.
EXEMPTION_COLUMNS = ("exemption_source", "exemption_until", "exemption_reason", "exemption_approver")
CSV_FIELDS = (*FIELDS, *EXEMPTION_COLUMNS)
SEVERITY_RANK = {s.value: rank for rank, s in enumerate(reversed(Severity))}  # CRITICAL first


def outcome_row(outcome: Outcome) -> dict[str, str]:
    return outcome.as_row() | {"severity": outcome.control.severity.value, "exemption": exemption_text(outcome)}


def exemption_text(outcome: Outcome) -> str:
    """An exemption in one cell: what exempts the result and until when, or why an exemption asked for is not."""
    if not outcome.exemption:
        return ""
    exemption = outcome.exemption.as_dict()
    if exemption["applies"]:
        return f"EXEMPT by {exemption['source']} until {exemption['until']}: {exemption['reason']}"
    return exemption["note"]


def exemption_columns(outcome: Outcome) -> dict[str, str]:
    """For CSV: what exempts the result (or asked to), its source, its last day, its reason and approver."""
    ruling = outcome.exemption
    if not ruling:
        return dict.fromkeys(EXEMPTION_COLUMNS, "")
    return dict(zip(EXEMPTION_COLUMNS, (ruling.source, ruling.until, ruling.reason, ruling.approver), strict=True))


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


def unreachable_row(error: AccountUnreachable) -> dict[str, str]:
    """A member account whose role could not be assumed: none of its controls was judged."""
    return {
        "control_id": "",
        "account_id": error.account_id,
        "region": "",
        "resource_type": "AwsAccount",
        "resource_id": error.role_arn,
        "status": ERROR,
        "reason": f"could not assume {error.role_arn}, so account {error.account_id} was not read: {error.reason}",
        "severity": "",
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
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore", restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(ordered(rows))
    return out.getvalue()


def short_resource(resource_id: str) -> str:
    """The ARN's resource part (account and region are columns, or the same for every row)."""
    if resource_id.startswith("AWS::::Account:"):  # an account-level control's resource
        return "account"
    parts = resource_id.split(":", 5)
    return parts[5] if resource_id.startswith("arn:") and len(parts) == 6 else resource_id


def table(rows: Sequence[Mapping[str, str]], width: int = WIDTH) -> str:
    """The results for people, no wider than `width`: one line per result (severity first; the region column
    only when there are several), its reason on the lines below, under the control."""
    rows = ordered(rows)
    regions = sorted({r["region"] for r in rows})
    several = len(regions) > 1
    accounts = len({r["account_id"] for r in rows}) > 1
    headers = ["severity", "status", "control_id"] + (["account"] if accounts else [])
    headers += (["region"] if several else []) + ["resource"]
    cells = [
        [r["severity"], r["status"], r["control_id"]]
        + ([r["account_id"]] if accounts else [])
        + ([r["region"]] if several else [])
        + [short_resource(r["resource_id"])]
        for r in rows
    ]
    notes = [[r["reason"] + (f" [{r['exemption']}]" if r.get("exemption") else "")] for r in rows]
    text = listing(headers, cells, notes, width, under=2)
    return text if several or not rows else f"region {regions[0]}\n{text}"


def listing(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    notes: Sequence[Sequence[str]],
    width: int = WIDTH,
    under: int = 1,
) -> str:
    """A table no wider than `width`: one line per row, its last column wrapped to fit, and each of the row's
    notes (long texts: reasons, calls, changes) on the lines below it, starting under column `under`."""
    widths = [max([len(h)] + [len(str(row[i])) for row in rows]) for i, h in enumerate(headers)]
    widths[-1] = max(MIN_FLEXIBLE, min(widths[-1], width - sum(widths[:-1]) - GAP * (len(headers) - 1)))
    indent = " " * (sum(widths[:under]) + GAP * under)
    lines = [_line(headers, widths), _line(["-" * w for w in widths], widths)]
    for row, row_notes in zip(rows, notes, strict=True):
        parts = textwrap.wrap(str(row[-1]), widths[-1], break_on_hyphens=False) or [""]
        lines.append(_line([*map(str, row[:-1]), parts[0]], widths))
        lines += [_line([""] * (len(row) - 1) + [part], widths) for part in parts[1:]]
        for note in row_notes:
            for paragraph in str(note).splitlines() or [""]:
                lines += textwrap.wrap(
                    paragraph, width, initial_indent=indent, subsequent_indent=indent + "  ", break_on_hyphens=False
                )
    return "\n".join(lines)


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return (" " * GAP).join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
