"""A small IAM policy evaluator for the tests: does a set of policies allow one request?

No package on PyPI evaluates IAM policies with their conditions and is kept up (policyuniverse and
parliament parse and lint; policyglass and iam-ape are unmaintained), and moto's enforcement ignores
conditions. This follows AWS's documented evaluation logic, as far as the templates use it, and
tests/test_iam_policy.py checks it against the documented cases:

- an explicit Deny in any policy wins; else an Allow in an identity policy (or, for a principal of
  the resource's own account, in the resource's policy) allows; else the request is implicitly denied;
- a session policy, when there is one, must allow too (the intersection with the identity policies);
- Action matching ignores case, Resource matching does not; `*` and `?` are wildcards, and a
  wildcard of the region or account part stays within that part;
- conditions: every operator block must hold, every key of a block must hold, the values of one key
  are ORed (NORed for the negated operators); a missing key fails a condition, except for the
  negated operators (true), `...IfExists` (true) and `Null`; `ForAnyValue:`/`ForAllValues:` for keys
  with several values.
Not modelled: policy variables, NotPrincipal, permissions boundaries, SCPs and RCPs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Policy = Mapping[str, Any]


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: Mapping[str, str | list[str]] = field(default_factory=dict)
    principal: str = ""  # the caller's role ARN, for resource policies
    principal_service: str = ""  # a service principal (events.amazonaws.com), for resource policies


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _glob(pattern: str, value: str, ignore_case: bool = False) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL) is not None


def action_matches(pattern: str, action: str) -> bool:
    return _glob(pattern, action, ignore_case=True)


def arn_matches(pattern: str, arn: str) -> bool:
    """ARN matching: the first five parts one by one (a wildcard stays within its part), then the resource."""
    if pattern == "*":
        return True
    pattern_parts, arn_parts = pattern.split(":", 5), arn.split(":", 5)
    if len(pattern_parts) != 6 or len(arn_parts) != 6:
        return _glob(pattern, arn)
    return all(_glob(p, a) for p, a in zip(pattern_parts, arn_parts, strict=True))


_NEGATED = {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike",
            "NumericNotEquals"}  # fmt: skip


def _compare(operator: str, expected: str, actual: str) -> bool:
    base = operator.replace("Not", "", 1) if operator in _NEGATED else operator
    if base == "StringEquals":
        return expected == actual
    if base == "StringEqualsIgnoreCase":
        return expected.lower() == actual.lower()
    if base == "StringLike":
        return _glob(expected, actual)
    if base in ("ArnEquals", "ArnLike"):
        return arn_matches(expected, actual)
    if base == "Bool":
        return expected.lower() == actual.lower()
    if base == "NumericEquals":
        return float(expected) == float(actual)
    raise NotImplementedError(f"condition operator {operator}")


def _condition_holds(operator: str, key: str, expected: Any, context: Mapping[str, Any]) -> bool:
    expected_values = [str(v).lower() if isinstance(v, bool) else str(v) for v in _as_list(expected)]
    if operator == "Null":
        absent = key not in context
        return any((value == "true") == absent for value in expected_values)
    qualifier, _, operator = operator.rpartition(":")
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    negated = operator in _NEGATED
    if key not in context:
        if qualifier == "ForAllValues":
            return True
        return if_exists or negated
    actual_values = [str(v) for v in _as_list(context[key])]

    def matches(actual: str) -> bool:
        hit = any(_compare(operator, e, actual) for e in expected_values)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(matches(a) for a in actual_values)
    if qualifier == "ForAnyValue":
        return any(matches(a) for a in actual_values)
    if len(actual_values) != 1:
        raise ValueError(f"{key} has several values: use ForAnyValue or ForAllValues")
    return matches(actual_values[0])


def conditions_hold(condition: Mapping[str, Mapping[str, Any]], context: Mapping[str, Any]) -> bool:
    return all(
        _condition_holds(operator, key, expected, context)
        for operator, block in condition.items()
        for key, expected in block.items()
    )


def _principal_matches(statement: Mapping[str, Any], request: Request) -> bool:
    if "Principal" not in statement:
        return True  # an identity policy
    principal = statement["Principal"]
    if principal == "*":
        return True
    services = _as_list(principal.get("Service", []))
    principals = _as_list(principal.get("AWS", []))
    if request.principal_service:
        return request.principal_service in services
    account = request.principal.split(":")[4] if request.principal else ""
    return any(p == "*" or p == request.principal or p == f"arn:aws:iam::{account}:root" for p in principals)


def statement_applies(statement: Mapping[str, Any], request: Request) -> bool:
    if "Action" in statement:
        action_hit = any(action_matches(p, request.action) for p in _as_list(statement["Action"]))
    else:
        action_hit = not any(action_matches(p, request.action) for p in _as_list(statement["NotAction"]))
    if not action_hit:
        return False
    if "Resource" in statement:
        resource_hit = any(arn_matches(p, request.resource) for p in _as_list(statement["Resource"]))
    elif "NotResource" in statement:
        resource_hit = not any(arn_matches(p, request.resource) for p in _as_list(statement["NotResource"]))
    else:
        resource_hit = True  # a role's trust policy: the resource is the role itself
    return (
        resource_hit
        and _principal_matches(statement, request)
        and conditions_hold(statement.get("Condition", {}), request.context)
    )


def _statements(policies: Iterable[Policy]) -> list[Mapping[str, Any]]:
    return [s for policy in policies for s in _as_list(policy["Statement"])]


def decide(
    request: Request,
    identity: Iterable[Policy],
    resource_policy: Policy | None = None,
    session: Policy | None = None,
) -> str:
    """'allow', 'explicit deny' or 'implicit deny', for a principal of the resource's own account."""
    identity_statements = _statements(identity)
    resource_statements = _statements([resource_policy]) if resource_policy else []
    session_statements = _statements([session]) if session else []
    for statement in identity_statements + resource_statements + session_statements:
        if statement["Effect"] == "Deny" and statement_applies(statement, request):
            return "explicit deny"
    by_resource = any(s["Effect"] == "Allow" and statement_applies(s, request) for s in resource_statements)
    by_identity = any(s["Effect"] == "Allow" and statement_applies(s, request) for s in identity_statements)
    if session is not None and by_identity:
        by_identity = any(s["Effect"] == "Allow" and statement_applies(s, request) for s in session_statements)
    return "allow" if by_identity or by_resource else "implicit deny"


def allowed(request: Request, identity: Iterable[Policy], **kwargs: Any) -> bool:
    return decide(request, identity, **kwargs) == "allow"


__all__ = ["Request", "decide", "allowed", "arn_matches", "action_matches", "conditions_hold"]
