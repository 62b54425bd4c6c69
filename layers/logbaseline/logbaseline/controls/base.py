"""What a control is: frozen metadata, triggers, and three functions.

`collect` is the only place that reads AWS; `evaluate` is pure; `remediate`
writes only through `Changes`, which records every call and, in dry-run, makes none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from logbaseline.aws import Clients
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict

SEC04_BP01 = "AWS Well-Architected SEC04-BP01"
SEC04_BP01_URL = (
    "https://docs.aws.amazon.com/wellarchitected/latest/security-pillar/"
    "sec_detect_investigate_events_app_service_logging.html"
)


# Each control parameter's name in template.yaml (a test holds this to the template): messages name a setting
# the way a person sets it, in the stack or in the environment.
STACK_NAMES = {
    "retention_floor_days": "parameter RetentionFloorDays",
    "retention_ceiling_days": "parameter RetentionCeilingDays",
    "flow_log_destination": "parameter FlowLogDestination",
    "flow_log_traffic_type": "parameter FlowLogTrafficType",
    "flow_log_delivery_role_arn": "output FlowLogsDeliveryRoleArn",
    "log_group_kms_key_arn": "parameter LogGroupKmsKeyArn",
    "cloudtrail_kms_key_arn": "parameter CloudTrailKmsKeyArn",
    "query_log_config_id": "parameter QueryLogConfigId",
    "query_log_destination_arn": "parameter QueryLogDestinationArn",
    "elb_access_log_bucket": "parameter ElbAccessLogBucket",
    "elb_access_log_prefix": "parameter ElbAccessLogPrefix",
    "access_log_bucket": "parameter AccessLogBucket",
    "access_log_prefix": "parameter AccessLogPrefix",
    "access_logging_scope": "parameter AccessLoggingScope",
    "organization_id": "parameter OrganizationId",
    "accounts": "parameter Accounts",
    "log_archive_account_id": "parameter LogArchiveAccountId",
    "security_alarm_topic_arn": "parameter SecurityAlarmTopicArn",
    "securityhub_administrator_account_id": "parameter SecurityHubAdministratorAccountId",
    "security_lake_account_id": "parameter SecurityLakeAccountId",
    "trail_bucket_object_lock": "parameter TrailBucketObjectLock",
}


@dataclass(frozen=True)
class Parameter:
    name: str
    default: Any
    description: str
    allowed: tuple[Any, ...] = ()

    @property
    def stack_name(self) -> str:
        """What the deployed stack calls it: "parameter X", or "output Y" for a value the stack makes."""
        return STACK_NAMES.get(self.name, "")

    @property
    def variable(self) -> str:
        """The environment variable the functions and the command line read it from."""
        return f"LOGBASELINE_{self.name.upper()}"

    def unset(self) -> str:
        """Names the missing setting as a person sets it: in the stack, or in the environment."""
        where = f"the stack's {self.stack_name}, variable {self.variable}" if self.stack_name else self.variable
        return f"{self.name} is not set ({where})"

    def parse(self, raw: str) -> Any:
        value: Any = raw.strip()
        if isinstance(self.default, int):
            if not value.isdigit():
                raise ValueError(f"parameter {self.name}={raw!r}: must be a whole number")
            value = int(value)
        if self.allowed and value not in self.allowed:
            raise ValueError(f"parameter {self.name}={raw!r}: must be one of {', '.join(map(str, self.allowed))}")
        return value


@dataclass(frozen=True)
class CloudTrailTrigger:
    """CloudTrail API calls that may change what the control checks.

    `resource_path` is a JMESPath into the event's `detail` that yields the
    resource id (a string or a list); None re-evaluates the whole account and region.
    `id_pattern` (a regular expression) keeps only the ids naming the control's kind of resource: the
    others are ignored (and logged), and a path that yielded ids but none of that kind routes nothing.
    `every_region`: the change reaches beyond the event's region (a multi-region or organization trail
    is changed in its home region only), so the account-level control is re-judged in every covered region.
    `destination`: the path names where logs go (a bucket that may be another account's), not a resource the
    call changed: when this account has no such resource nothing is archived, and when the path names none
    (logs sent elsewhere) nothing is routed.
    """

    event_source: str
    event_names: tuple[str, ...]
    resource_path: str | None = None
    id_pattern: str = ""
    every_region: bool = False
    destination: bool = False


@dataclass(frozen=True)
class ConfigTrigger:
    """AWS Config configuration-item changes of one resource type.

    `resource_path` is a JMESPath into the configuration item (or, for an oversized
    notification, its summary); when it yields nothing, the whole account and region
    is re-evaluated.
    """

    resource_type: str
    resource_path: str | None = "resourceId"
    id_pattern: str = ""  # as CloudTrailTrigger's
    every_region: bool = False
    destination: bool = False


@dataclass(frozen=True)
class Change:
    service: str
    operation: str
    region: str
    parameters: Mapping[str, Any]

    def __str__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.parameters.items())
        return f"{self.service}:{self.operation}({args}) in {self.region}"


# Error codes of a read denied on one resource (an S3 bucket policy, say), as opposed to throttling or a fault.
DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "AllAccessDisabled", "UnauthorizedOperation"})


def denied(error: Exception) -> bool:
    return isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") in DENIED_CODES


class FixFailed(Exception):
    """The fix could not be applied; the message says why, for the finding."""


class Changes:
    """The write calls of one fix: made in auto mode, only recorded in dry-run."""

    def __init__(self, clients: Clients, *, dry_run: bool):
        self.clients = clients
        self.dry_run = dry_run
        self.made: list[Change] = []

    def call(self, service: str, operation: str, *, region: str | None = None, **parameters: Any) -> dict[str, Any]:
        self.made.append(Change(service, operation, region or self.clients.region, parameters))
        if self.dry_run:
            return {}
        return getattr(self.clients(service, region), operation)(**parameters)


Collect = Callable[[Clients, Scope], list[Resource]]
Evaluate = Callable[[Resource, Mapping[str, Any]], Verdict]
Remediate = Callable[[Changes, Resource, Mapping[str, Any]], None]
Inapplicable = Callable[[Scope, Mapping[str, Any]], str]


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    description: str
    severity: Severity
    resource_type: str  # the ASFF resource type (one Security Hub documents, else Other)
    related_requirements: tuple[str, ...]
    collect: Collect
    evaluate: Evaluate
    resource_id: Callable[[Scope], str]  # the finding's resource id for a scope, used when the resource is gone
    remediation_text: str
    config_triggers: tuple[ConfigTrigger, ...] = ()
    cloudtrail_triggers: tuple[CloudTrailTrigger, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    read_actions: tuple[str, ...] = ()
    write_actions: tuple[str, ...] = ()
    remediate: Remediate | None = None
    default_mode: Mode = Mode.OFF
    fix_description: str = "none"
    url: str = SEC04_BP01_URL  # where the finding's recommendation points
    # Why the control does not apply to a scope, from the scope and the parameters alone (empty: it applies).
    # The engine then reads nothing for it there and reports nothing; a sweep archives its earlier findings.
    inapplicable: Inapplicable | None = None

    def __post_init__(self) -> None:
        if self.remediate is None and self.default_mode is not Mode.OFF:
            raise ValueError(f"{self.id}: a control without remediate() must default to mode off")
