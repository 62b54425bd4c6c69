"""The messages the service sends itself, in the EventBridge envelope so that one parser reads every message:
sweep requests (and the next page of a sweep), and workflow reconciliations."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from logbaseline.engine.routing import RECONCILE_REQUEST, SWEEP_REQUEST, SWEEP_SOURCE, InvalidEvent


@dataclass(frozen=True)
class SweepPage:
    """Where a sweep message starts publishing: the first control's findings from `offset` on."""

    control_id: str = ""
    offset: int = 0

    @classmethod
    def of(cls, event: Mapping[str, Any]) -> SweepPage:
        page = event.get("detail", {}).get("page") or {}
        control_id, offset = page.get("control_id", ""), page.get("offset", 0)
        if not isinstance(control_id, str) or not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise InvalidEvent("detail.page holds a control_id and a non-negative offset")
        return cls(control_id, offset if control_id else 0)

    def includes(self, control_id: str) -> bool:
        return not self.control_id or control_id >= self.control_id


def sweep_event(
    account_id: str, region: str, control_ids: Sequence[str] = (), page: SweepPage | None = None
) -> dict[str, Any]:
    """A sweep request in the EventBridge envelope, so one parser reads every message."""
    detail: dict[str, Any] = {"account_id": account_id, "region": region, "control_ids": list(control_ids)}
    if page:
        detail["page"] = {"control_id": page.control_id, "offset": page.offset}
    return _own_event(SWEEP_REQUEST, account_id, region, detail)


def reconcile_event(account_id: str, region: str) -> dict[str, Any]:
    """A request to reconcile the workflow of this deployment's findings in one account and region."""
    return _own_event(RECONCILE_REQUEST, account_id, region, {"account_id": account_id, "region": region})


def reconcile_scope(event: Mapping[str, Any]) -> tuple[str, str]:
    detail = event.get("detail")
    account_id = detail.get("account_id") if isinstance(detail, Mapping) else None
    region = detail.get("region") if isinstance(detail, Mapping) else None
    if not (isinstance(account_id, str) and account_id and isinstance(region, str) and region):
        raise InvalidEvent("a reconcile request names detail.account_id and detail.region")
    return account_id, region


def _own_event(detail_type: str, account_id: str, region: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": SWEEP_SOURCE,
        "account": account_id,
        "time": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "region": region,
        "resources": [],
        "detail": detail,
    }
