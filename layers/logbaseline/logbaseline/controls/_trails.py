"""Reading trails, shared by the CloudTrail controls."""

from __future__ import annotations

from typing import Any

from logbaseline.aws import Clients, partition
from logbaseline.models import Scope

TRAIL_EVENT_SOURCE = "cloudtrail.amazonaws.com"


def trail_arn(scope: Scope) -> str:
    name = scope.resource_id or ""
    if name.startswith("arn:"):
        return name
    return f"arn:{partition(scope.region)}:cloudtrail:{scope.region}:{scope.account_id}:trail/{name}"


def describe_trails(clients: Clients, *, names: list[str] | None = None, shadow: bool) -> list[dict[str, Any]]:
    query: dict[str, Any] = {"includeShadowTrails": shadow}
    if names:
        query["trailNameList"] = names
    try:
        trails = clients("cloudtrail").describe_trails(**query)["trailList"]
    except clients("cloudtrail").exceptions.TrailNotFoundException:
        return []
    # Filtered here too: the emulator ignores trailNameList.
    return [t for t in trails if not names or t["Name"] in names or t["TrailARN"] in names]


def management_events(selectors: dict[str, Any]) -> list[str]:
    """Which management events ("read", "write") a trail's selectors record."""
    covered: set[str] = set()
    for selector in selectors.get("EventSelectors") or []:
        if selector.get("IncludeManagementEvents", True):
            kind = selector.get("ReadWriteType", "All")
            covered |= {"All": {"read", "write"}, "ReadOnly": {"read"}, "WriteOnly": {"write"}}[kind]
    for selector in selectors.get("AdvancedEventSelectors") or []:
        fields = {f["Field"]: f for f in selector.get("FieldSelectors", [])}
        if "Management" not in fields.get("eventCategory", {}).get("Equals", []):
            continue
        read_only = fields.get("readOnly", {}).get("Equals")
        if read_only:
            covered |= {"read" if value == "true" else "write" for value in read_only}
        else:
            covered |= {"read", "write"}
    return sorted(covered)
