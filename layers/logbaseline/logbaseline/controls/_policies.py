"""Resource policies that let a principal outside the organization at logs, shared by the log-access controls.

A grant is inside when each principal it names is: an account this deployment covers (or the resource's own),
or any principal held to the organization by an `aws:PrincipalOrgID`, `aws:PrincipalOrgPaths` or
`aws:PrincipalAccount` condition; an AWS service principal (log delivery) only with an `aws:SourceAccount`,
`aws:SourceArn`, `aws:SourceOrgID` or `aws:SourceOrgPaths` condition naming covered accounts or the
organization. Deny statements are not grants. The organization must be named (OrganizationId) for an
organization condition to count: an unknown organization may be anyone's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from logbaseline.controls.base import Parameter

ORGANIZATION_ID = Parameter(
    "organization_id",
    "",
    "The organization (o-...) whose principals may read logs; a policy condition naming another is outside.",
)
COVERED_ACCOUNTS = Parameter(
    "accounts",
    "",
    "The accounts this deployment covers ('organization' or account ids): principals of these accounts are inside.",
)

# Operators that hold a key to its values; IfExists, the negated ones and ForAllValues: do not (a missing key passes
# them: IAM user guide, "Set operators for multivalued context keys").
_BINDING = {"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike"}
_PRINCIPAL_KEYS = ("aws:principalorgid", "aws:principalorgpaths", "aws:principalaccount")
_ORGANIZATION_KEYS = ("aws:principalorgid", "aws:principalorgpaths", "aws:sourceorgid", "aws:sourceorgpaths")
_SOURCE_KEYS = ("aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths")
_ACCOUNT = re.compile(r"^(?:arn:[^:]+:(?:iam|sts)::)?(\d{12})(?::|$)")

# The Elastic Load Balancing accounts that deliver access logs in the Regions opened before August 2022 (ELB user
# guide, "Attach a policy to your S3 bucket"); newer Regions use logdelivery.elasticloadbalancing.amazonaws.com.
ELB_LOG_DELIVERY_ACCOUNTS = frozenset(
    {
        "127311923021", "033677994240", "027434742980", "797873946194", "098369216593", "754344448648",
        "589379963580", "718504428378", "383597477331", "600734575887", "114774131450", "783225319266",
        "582318560864", "985666609251", "054676820928", "156460612806", "652711504416", "635631232127",
        "009996457667", "897822967062", "076674570225", "507241528517", "048591011584", "190560391635",
    }
)  # fmt: skip


def statements(policy: str | Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    document = json.loads(policy) if isinstance(policy, str) else (policy or {})
    found = document.get("Statement", [])
    return [found] if isinstance(found, Mapping) else list(found)


def _values(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _conditions(statement: Mapping[str, Any]) -> dict[str, list[str]]:
    """Condition key (lower case) -> the values it is held to, for the binding operators only."""
    held: dict[str, list[str]] = {}
    for operator, keys in (statement.get("Condition") or {}).items():
        qualifier, _, base = operator.lower().rpartition(":")
        if base in _BINDING and qualifier != "forallvalues":  # ForAllValues holds when the key is missing
            for key, value in keys.items():
                held.setdefault(key.lower(), []).extend(_values(value))
    return held


def _inside(key: str, values: list[str], accounts: frozenset[str], organization: str) -> bool:
    if key in ("aws:principalorgid", "aws:sourceorgid"):
        return bool(organization) and set(values) == {organization}
    if key in ("aws:principalorgpaths", "aws:sourceorgpaths"):
        return bool(organization) and all(v.startswith(f"{organization}/") for v in values)
    if key == "aws:sourcearn":  # arn:partition:service:region:account:resource; an S3 ARN names no account
        return all(len(v.split(":")) > 4 and v.split(":")[4] in accounts for v in values)
    return set(values) <= accounts  # aws:PrincipalAccount, aws:SourceAccount


def _held(conditions: dict[str, list[str]], keys: tuple[str, ...], accounts: frozenset[str], org: str) -> bool:
    return any(key in conditions and _inside(key, conditions[key], accounts, org) for key in keys)


def _principals(statement: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(kind, principal) pairs; an Allow with NotPrincipal grants everyone but those named."""
    if "NotPrincipal" in statement:
        yield "AWS", "*"
        return
    principal = statement.get("Principal")
    if principal == "*":
        yield "AWS", "*"
        return
    for kind, names in (principal or {}).items():
        for name in _values(names):
            yield kind, name


def outside_grants(policy: str | Mapping[str, Any] | None, own_account: str, params: Mapping[str, Any]) -> list[str]:
    """What each Allow statement grants outside the organization, in words; empty when nothing is."""
    covered = params.get(COVERED_ACCOUNTS.name, "") or ""
    accounts = frozenset({own_account, *(a.strip() for a in covered.split(",") if a.strip().isdigit())})
    organization = params.get(ORGANIZATION_ID.name, "") or ""
    problems = []
    for number, statement in enumerate(statements(policy), 1):
        if statement.get("Effect") != "Allow":
            continue
        conditions = _conditions(statement)
        if _held(conditions, _PRINCIPAL_KEYS, accounts, organization):
            continue  # whoever is named, only the organization's principals (or covered accounts') get in
        name = f"statement {statement.get('Sid') or number}"
        if not organization and any(k in conditions for k in _ORGANIZATION_KEYS):
            name += f" (its organization condition is not checked: {ORGANIZATION_ID.unset()})"
        for kind, principal in _principals(statement):
            if kind == "Service":
                if not _held(conditions, _SOURCE_KEYS, accounts, organization):
                    problems.append(f"{name} grants {principal} without a covered aws:SourceAccount or SourceArn")
                continue
            match = _ACCOUNT.match(principal) if kind == "AWS" else None
            account = match.group(1) if match else None
            if account in accounts or account in ELB_LOG_DELIVERY_ACCOUNTS:
                continue
            if principal == "*":
                problems.append(f"{name} grants everyone (*) without an organization or account condition")
            elif account:
                problems.append(f"{name} grants account {account}, which is not covered")
            else:
                problems.append(f"{name} grants {kind} {principal}, whose account is not known to be covered")
    return problems


_TRAIL_ARN = re.compile(r"^arn:[^:]+:cloudtrail:[^:*]+:(\d{12}):trail/[^*?]+$")
_LOG_PREFIX = re.compile(r"/AWSLogs/(\d{12})/")
_PUTS = {"s3:putobject", "s3:*", "*"}


def other_accounts_trails(policy: str | Mapping[str, Any] | None, own_account: str) -> list[str]:
    """The trails of other accounts that a bucket policy lets CloudTrail deliver for: each trail's ARN when an
    aws:SourceArn condition names it, else "trails of account N" (aws:SourceAccount, or an AWSLogs/N/ key prefix).
    CloudTrail delivers only where the bucket policy allows cloudtrail.amazonaws.com s3:PutObject (CloudTrail user
    guide, "Amazon S3 bucket policy for CloudTrail"); an organization trail's AWSLogs/o-.../ prefix names no account.
    """
    found: list[str] = []
    for statement in statements(policy):
        services = {name for kind, name in _principals(statement) if kind == "Service"}
        actions = {a.lower() for a in _values(statement.get("Action"))}
        if statement.get("Effect") != "Allow" or "cloudtrail.amazonaws.com" not in services or not actions & _PUTS:
            continue
        conditions = _conditions(statement)
        trails = [arn for arn in conditions.get("aws:sourcearn", []) if _TRAIL_ARN.match(arn)]
        accounts = set(conditions.get("aws:sourceaccount", []))
        accounts |= {m.group(1) for r in _values(statement.get("Resource")) for m in _LOG_PREFIX.finditer(r)}
        named = {_TRAIL_ARN.match(arn).group(1) for arn in trails}  # type: ignore[union-attr]
        found += [arn for arn in trails if arn.split(":")[4] != own_account]
        found += [f"trails of account {a}" for a in sorted(accounts - named - {own_account}) if a.isdigit()]
    return list(dict.fromkeys(found))
