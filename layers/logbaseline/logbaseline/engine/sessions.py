"""Session policies: what one assumed-role session of a member role may do, narrower than the role itself.

AWS grants a session the intersection of the role's policies and the session policy passed to AssumeRole, so a
fix session may make only its control's calls, and its writes only on the one resource of the request where the
service offers resource-level permissions (the Service Authorization Reference's resource types; see
docs/security.md for the actions that accept only `*`). An account session (the evaluator's reads, the
remediator's findings) may read and report, never write.

The session name and source identity name the request in the member's CloudTrail: every write of a fix carries
`assumed-role/<role>/<session name>` and `sourceIdentity`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from logbaseline.aws import IMPLIED_ACTIONS, partition
from logbaseline.controls import all_controls
from logbaseline.controls.base import Control

# STS's limits (botocore's sts model: sessionPolicyDocumentType, roleSessionNameType, sourceIdentityType).
MAX_POLICY_CHARS = 2048
MAX_NAME_CHARS = 64
NAME_CHARACTERS = re.compile(r"[\w+=,.@-]")

# Calls of the engine on a member account beyond the controls' own (findings, exemption tags, suppressions).
FINDINGS_ACTIONS = ("securityhub:BatchImportFindings", "securityhub:BatchUpdateFindings", "securityhub:GetFindings")
FIX_ENGINE_READS = ("securityhub:GetFindings", "securityhub:GetFindingHistory", "tag:GetResources")


# The settings that name a log group a fix creates and keeps (a flow-log or query-log destination).
DESTINATION_SETTINGS = ("flow_log_destination", "query_log_destination_arn")


def destination_log_group(params: Mapping[str, Any], account: str, region: str) -> str:
    """The ARN of the log group a fix's destination setting names (a name, or an ARN), or empty (none, or S3)."""
    for name in DESTINATION_SETTINGS:
        value = str(params.get(name) or "")
        if value.startswith("arn:") and ":log-group:" in value:
            return value.removesuffix(":*")
        if value and not value.startswith("arn:"):
            return f"arn:{partition(region)}:logs:{region}:{account}:log-group:{value}"
    return ""


def _pattern(action: str, account: str, region: str, resource_id: str, destination: str) -> tuple[str, ...]:
    """The resources a fix's write may touch: the request's own resource wherever the service can say so."""
    p = partition(region)
    own = resource_id if resource_id.startswith("arn:") else ""
    service = action.split(":", 1)[0]
    if service == "s3" and own.startswith(f"arn:{p}:s3:::"):
        return (own,)  # the bucket
    if action == "logs:PutRetentionPolicy" and ":log-group:" in own:
        return (own, f"{own}:*")  # the log group (CloudWatch Logs checks either form)
    if action in ("logs:CreateLogGroup", "logs:PutRetentionPolicy"):
        return (destination, f"{destination}:*") if destination else ()  # the configured destination, or none
    if action == "ec2:CreateFlowLogs" and ":vpc/" in own:
        return (own, f"arn:{p}:ec2:{region}:{account}:vpc-flow-log/*")
    if action == "cloudtrail:UpdateTrail" and ":trail/" in own:
        return (own,)
    if action == "cloudtrail:UpdateEventDataStore" and ":eventdatastore/" in own:
        return (own,)  # the Lake event data store
    if action == "cloudtrail:StartLogging":
        return (own,) if ":trail/" in own else (f"arn:{p}:cloudtrail:*:{account}:trail/*",)  # a home region's trail
    if action in ("eks:UpdateClusterConfig", "elasticloadbalancing:ModifyLoadBalancerAttributes") and own:
        return (own,)
    if action == "apigateway:PATCH" and "/stages/" in own:
        return (own,)  # the REST API stage
    if action == "guardduty:UpdateDetector":
        return (f"arn:{p}:guardduty:{region}:{account}:detector/*",)  # the region's one detector
    return ("*",)  # no resource-level permissions (docs/security.md lists them)


def _statement(actions: set[str], resources: tuple[str, ...]) -> dict[str, object]:
    return {
        "Effect": "Allow",
        "Action": sorted(actions),
        "Resource": resources[0] if len(resources) == 1 else list(resources),
    }


def _document(statements: list[dict[str, object]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, separators=(",", ":"))


class SessionPolicyRefused(ValueError):
    """A fix request whose session policy AWS would refuse, or that would name more than one resource."""


def fix_policy(
    control: Control, account: str, region: str, resource_id: str, params: Mapping[str, Any] | None = None
) -> str:
    """The session policy of one fix: the control's reads and the engine's, its writes on the request's resource
    (and on the destination log group its settings name), and the calls AWS authorizes with them (a PassRole, a
    log delivery) as far as the role itself allows."""
    destination = destination_log_group(params or {}, account, region)
    for name in (resource_id, destination):
        if "*" in name or "?" in name:  # a wildcard would widen the session
            raise SessionPolicyRefused(f"fix request for {name!r}: a resource with a wildcard is refused")
    # One statement per set of resources (the plain text counts against STS's limit): `*` holds the reads, the
    # writes without resource-level permissions and the implied calls, which the role's own statements scope.
    implied = {i for a in control.write_actions for i in IMPLIED_ACTIONS.get(a, ())}
    by_resources: dict[tuple[str, ...], set[str]] = {
        ("*",): set(control.read_actions) | set(FIX_ENGINE_READS) | implied
    }
    for action in control.write_actions:
        resources = _pattern(action, account, region, resource_id, destination)
        if resources:
            by_resources.setdefault(resources, set()).add(action)
    statements = [_statement(actions, resources) for resources, actions in sorted(by_resources.items())]
    document = _document(statements)
    if len(document) > MAX_POLICY_CHARS:
        raise SessionPolicyRefused(
            f"fix request for {resource_id!r}: its session policy has {len(document)} characters, "
            f"AWS takes at most {MAX_POLICY_CHARS}"
        )
    return document


# Verbs that name only reads: a session policy may name a service's reads by verb, as `service:Describe*`.
READ_VERBS = ("Describe", "Get", "List")


def compact(actions: set[str]) -> set[str]:
    """The actions with each service's reads of one verb named once by wildcard where that is shorter. A session
    gets the intersection with its role, whose statements name each action, so the wildcard grants no more than
    the role's reads; it keeps the account session's policy under STS's limit as controls are added."""
    by_verb: dict[str, set[str]] = {}
    for action in actions:
        service, name = action.split(":", 1)
        verb = next((v for v in READ_VERBS if re.match(rf"{v}[A-Z]", name)), "")
        if verb:
            by_verb.setdefault(f"{service}:{verb}*", set()).add(action)
    kept = set(actions)
    for wildcard, named in by_verb.items():
        if len(named) > 1:
            kept = (kept - named) | {wildcard}
    return kept


def account_policy() -> str:
    """The session policy of an account session: every control's reads, the exemption tags, the findings."""
    reads = {a for c in all_controls() for a in c.read_actions} | {"tag:GetResources"} | set(FINDINGS_ACTIONS)
    return _document([_statement(compact(reads), ("*",))])


def _name(text: str) -> str:
    """Text in the characters STS accepts for a session name or source identity (others become '.')."""
    return "".join(c if NAME_CHARACTERS.fullmatch(c) else "." for c in text)


@dataclass(frozen=True)
class FixSession:
    """What the remediator passes to AssumeRole for one fix request."""

    name: str  # RoleSessionName: the control and a digest of the request
    source_identity: str  # SourceIdentity: the event that found the gap (or the request's digest)
    policy: str

    @classmethod
    def of(
        cls,
        control: Control,
        account: str,
        region: str,
        resource_id: str,
        trigger: str,
        params: Mapping[str, Any] | None = None,
    ) -> FixSession:
        digest = hashlib.sha256(json.dumps([control.id, account, region, resource_id, trigger]).encode()).hexdigest()
        name = f"{control.id[: MAX_NAME_CHARS - 21]}-{digest[:20]}"
        source = _name(f"logbaseline-{trigger}" if trigger else f"logbaseline-{digest[:20]}")[:MAX_NAME_CHARS]
        return cls(name, source, fix_policy(control, account, region, resource_id, params))

    @property
    def extra_args(self) -> dict[str, str]:
        return {"RoleSessionName": self.name, "SourceIdentity": self.source_identity, "Policy": self.policy}
