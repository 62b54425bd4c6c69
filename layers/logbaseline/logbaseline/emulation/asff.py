"""What Security Hub refuses in a finding: its service model's constraints, and the ASFF page's documented limits.

botocore checks a request's types, required members and minimum lengths before sending it; Security Hub checks
the rest on the server (patterns such as NonEmptyString's `.*\\S.*`, enums, maximum lengths, counts). The emulator
refuses the same findings, so no test can import a finding that AWS would refuse.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any

import botocore.session
from botocore.model import Shape

MAX_FINDING_BYTES = 240 * 1024  # BatchImportFindings API reference
MAX_FINDINGS_PER_REQUEST = 100  # same page
# The ASFF syntax pages of the Security Hub user guide (required and top-level attributes).
MAX_LENGTHS = {
    ("Id",): 512,
    ("GeneratorId",): 512,
    ("Title",): 256,
    ("Description",): 1024,
    ("Remediation", "Recommendation", "Text"): 512,
    ("Note", "Text"): 512,
}
MAX_ITEMS = {
    ("Resources",): 32,
    ("Types",): 50,
    ("ProductFields",): 50,
    ("UserDefinedFields",): 50,
    ("Compliance", "RelatedRequirements"): 32,
}
PRODUCT_FIELD_KEY, PRODUCT_FIELD_VALUE = 128, 2048
TYPE_NAMESPACES = (
    "Software and Configuration Checks",
    "TTPs",
    "Effects",
    "Unusual Behaviors",
    "Sensitive Data Identifications",
)
TIMESTAMPS = ("CreatedAt", "UpdatedAt", "FirstObservedAt", "LastObservedAt")


@cache
def _model() -> Any:
    return botocore.session.get_session().get_service_model("securityhub")


def finding_shape() -> Shape:
    return _model().shape_for("AwsSecurityFinding")


@cache
def documented_resource_types() -> frozenset[str]:
    """The types the ASFF Resources object documents details for, `Other` for the rest, and `AwsAccount`, which
    Security Hub's own account-level controls use."""
    return frozenset(_model().shape_for("ResourceDetails").members) | {"Other", "AwsAccount"}


def problems(finding: Mapping[str, Any]) -> list[str]:
    """Every reason Security Hub would refuse this finding; empty when it would accept it."""
    found: list[str] = []
    _check(finding, "AwsSecurityFinding", (), found)
    if len(json.dumps(finding).encode()) > MAX_FINDING_BYTES:
        found.append("the finding is larger than 240 KB")
    for path, limit in MAX_LENGTHS.items():
        value = _at(finding, path)
        if isinstance(value, str) and len(value) > limit:
            found.append(f"{'.'.join(path)} is longer than {limit} characters")
    for path, limit in MAX_ITEMS.items():
        value = _at(finding, path)
        if isinstance(value, (list, dict)) and len(value) > limit:
            found.append(f"{'.'.join(path)} has more than {limit} items")
    for key, value in (finding.get("ProductFields") or {}).items():
        if len(key) > PRODUCT_FIELD_KEY or (isinstance(value, str) and len(value) > PRODUCT_FIELD_VALUE):
            found.append(f"ProductFields.{key[:40]}: keys are at most 128 characters, values 2048")
    for kind in finding.get("Types") or []:
        if isinstance(kind, str) and not kind.startswith(TYPE_NAMESPACES):
            found.append(f"Types: {kind!r} is not in a documented namespace")
    for name in TIMESTAMPS:
        if isinstance(finding.get(name), str) and not _iso8601(finding[name]):
            found.append(f"{name} is not an ISO 8601 timestamp")
    return found


def _at(value: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _iso8601(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


@cache
def _node(shape_name: str) -> dict[str, Any]:
    """A shape of the model as plain data, made once: the model's own objects are slow to walk."""
    shape = _model().shape_for(shape_name)
    node: dict[str, Any] = {"type": shape.type_name, "metadata": dict(shape.metadata)}
    if shape.type_name == "structure":
        node["members"] = {name: member.name for name, member in shape.members.items()}  # type: ignore[attr-defined]
    elif shape.type_name == "list":
        node["member"] = shape.member.name  # type: ignore[attr-defined]
    elif shape.type_name == "map":
        node["key"], node["value"] = shape.key.name, shape.value.name  # type: ignore[attr-defined]
    return node


def _check(value: Any, shape_name: str, path: tuple[str, ...], found: list[str]) -> None:
    where = ".".join(path) or "finding"
    node = _node(shape_name)
    kind, metadata = node["type"], node["metadata"]
    if kind == "structure":
        if not isinstance(value, Mapping):
            found.append(f"{where} must be an object")
            return
        for name in metadata.get("required", []):
            if name not in value:
                found.append(f"{where}.{name} is required")
        for name, member in value.items():
            if name not in node["members"]:
                found.append(f"{where}.{name} is not an ASFF attribute")
            else:
                _check(member, node["members"][name], (*path, name), found)
    elif kind == "list":
        if not isinstance(value, list):
            found.append(f"{where} must be a list")
            return
        _bounds(len(value), metadata, where, "items", found)
        for index, item in enumerate(value):
            _check(item, node["member"], (*path, str(index)), found)
    elif kind == "map":
        if not isinstance(value, Mapping):
            found.append(f"{where} must be an object")
            return
        for key, item in value.items():
            _check(key, node["key"], (*path, "<key>"), found)
            _check(item, node["value"], (*path, key), found)
    elif kind == "string":
        if not isinstance(value, str):
            found.append(f"{where} must be a string")
            return
        if "enum" in metadata and value not in metadata["enum"]:
            found.append(f"{where} must be one of {', '.join(metadata['enum'])}")
        pattern = metadata.get("pattern")
        if pattern and not _compiled(pattern).fullmatch(value):
            found.append(f"{where} does not match {pattern} (an empty or blank string?)")
        _bounds(len(value), metadata, where, "characters", found)
    elif kind in ("integer", "long", "double", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            found.append(f"{where} must be a number")
    elif kind == "boolean" and not isinstance(value, bool):
        found.append(f"{where} must be true or false")


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.DOTALL)


def _bounds(size: int, metadata: Mapping[str, Any], where: str, unit: str, found: list[str]) -> None:
    if "min" in metadata and size < metadata["min"]:
        found.append(f"{where} has fewer than {metadata['min']} {unit}")
    if "max" in metadata and size > metadata["max"]:
        found.append(f"{where} has more than {metadata['max']} {unit}")
