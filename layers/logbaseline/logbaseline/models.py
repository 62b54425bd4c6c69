"""Value types shared by the controls and the engine. No AWS calls here."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class Status(enum.StrEnum):
    PASSED = "PASSED"
    FAILED = "FAILED"
    NOT_APPLICABLE = "NOT_APPLICABLE"


class Mode(enum.StrEnum):
    OFF = "off"
    DRY_RUN = "dry-run"
    AUTO = "auto"


class Severity(enum.StrEnum):
    INFORMATIONAL = "INFORMATIONAL"
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


@dataclass(frozen=True)
class Scope:
    """Where to evaluate: one account and region, and optionally one resource.

    `resource_id` is whatever names the resource in the triggering event (a
    name, an id or an ARN); None means every resource of the control's type.
    """

    account_id: str
    region: str
    resource_id: str | None = None


@dataclass(frozen=True)
class Resource:
    """The current state of one evaluated resource, as read by a control."""

    account_id: str
    region: str
    resource_id: str  # the ARN, or AWS::::Account:<id> for account-level controls
    state: Mapping[str, Any] = field(default_factory=dict)
    resource_type: str = ""  # the ASFF type, when it is not the control's (a Classic Load Balancer)
    # The resource's tags, when the control's own read returned them (EC2's Describe calls, EKS's DescribeCluster):
    # the engine then takes the exemption tag from here. None: the engine reads it through the tagging API.
    tags: Mapping[str, str] | None = None
    # Why this one resource could not be read (its own policy denies the read): the engine reports a read failure
    # for it, not a verdict, and the control's other resources keep theirs.
    unreadable: str = ""


@dataclass(frozen=True)
class Verdict:
    status: Status
    reason: str
    fixable: bool = False  # the control's remediate() can fix this state
    # Why the fix cannot run on this failing state although it covers it: the setting (parameter and
    # environment variable) or the resource that is missing. Empty: fixable, or a person's decision.
    blocked: str = ""


def passed(reason: str) -> Verdict:
    return Verdict(Status.PASSED, reason)


def failed(reason: str, *, fixable: bool = False, blocked: str = "") -> Verdict:
    return Verdict(Status.FAILED, reason, fixable and not blocked, blocked)


def not_applicable(reason: str) -> Verdict:
    return Verdict(Status.NOT_APPLICABLE, reason)
