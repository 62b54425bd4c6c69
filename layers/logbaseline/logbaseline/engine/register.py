"""The exemption register: the exemptions the security team grants, kept in version control and deployed to the
security account (docs/exemptions.md).

Its source is YAML, validated with the line of each error (`logbaseline exemptions validate FILE`); what is deployed
is the same register as JSON (`logbaseline exemptions deploy`), which the evaluator and the remediator read from S3
in the security account and validate again. Each entry names the accounts (ids, OU ids or `*`), regions (names or `*`),
controls (ids or `*`) and resources (ARN patterns with `*` and `?`, or `*`) it exempts, with a reason, an approver
and an expiry no later than the register's maximum. Its `tag_exemptions` policy says for which accounts and
controls a resource's `logbaseline:exempt` tag may still exempt, and for how long at most; without it, tags exempt
nothing.
"""

from __future__ import annotations

import fnmatch
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from logbaseline.controls import REGISTRY

Ancestors = Callable[[str], frozenset[str]]  # account id -> the ids of the OUs it is in
REGISTER_VARIABLE = "LOGBASELINE_EXEMPTION_REGISTER_BUCKET"  # the bucket of the deployed register
REGISTER_KEY = "logbaseline/exemptions.json"
DEFAULT_MAX_DAYS = 365  # an entry's expiry at most this far ahead, unless the register says less
DEFAULT_TAG_MAX_DAYS = 90
ACCOUNT = re.compile(r"^\d{12}$")
OU = re.compile(r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
ENTRY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov|\*):[a-z0-9*?-]+:[a-z0-9*?-]*:(\d{12}|[*?0-9]*):.+$")
ACCOUNT_RESOURCE = re.compile(r"^AWS::::Account:[0-9*?]+$")  # the account-level controls' resource id
ENTRY_KEYS = {"id", "accounts", "regions", "controls", "resources", "reason", "approver", "expires"}
TAG_POLICY_KEYS = {"accounts", "controls", "max_days"}
TOP_KEYS = {"version", "max_days", "exemptions", "tag_exemptions"}


@dataclass(frozen=True)
class Problem:
    line: int  # 1-based; 0 when the register has no lines (deployed JSON)
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class InvalidRegister(ValueError):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


@dataclass(frozen=True)
class Entry:
    id: str
    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    controls: tuple[str, ...]
    resources: tuple[str, ...]
    reason: str
    approver: str
    expires: date

    def covers(
        self, control_id: str, account_id: str, region: str, resource_id: str, today: date, ous: Ancestors
    ) -> bool:
        return (
            self.expires >= today
            and _any_account(self.accounts, account_id, ous)
            and _any(self.regions, region)
            and _any(self.controls, control_id)
            and any(fnmatch.fnmatchcase(resource_id, pattern) for pattern in self.resources)
        )


@dataclass(frozen=True)
class TagPolicy:
    accounts: tuple[str, ...] = ()
    controls: tuple[str, ...] = ()
    max_days: int = DEFAULT_TAG_MAX_DAYS

    def allows(self, control_id: str, account_id: str, ous: Ancestors) -> bool:
        return _any_account(self.accounts, account_id, ous) and _any(self.controls, control_id)


@dataclass(frozen=True)
class Register:
    entries: tuple[Entry, ...] = ()
    tag_policy: TagPolicy | None = None  # None: tags exempt nothing
    max_days: int = DEFAULT_MAX_DAYS
    # account -> the organizational units it is in (Organizations ListParents), for entries that name OUs
    ous: Ancestors = field(default=lambda account_id: frozenset(), compare=False)

    def entry_for(self, control_id: str, account_id: str, region: str, resource_id: str, today: date) -> Entry | None:
        """The first entry that exempts this resource today."""
        return next(
            (e for e in self.entries if e.covers(control_id, account_id, region, resource_id, today, self.ous)), None
        )

    def expired_entry_for(
        self, control_id: str, account_id: str, region: str, resource_id: str, today: date
    ) -> Entry | None:
        """An entry that exempted this resource and has expired (the finding says so)."""
        return next(
            (
                e
                for e in self.entries
                if e.expires < today and e.covers(control_id, account_id, region, resource_id, e.expires, self.ous)
            ),
            None,
        )

    def to_json(self) -> str:
        document: dict[str, Any] = {"version": 1, "max_days": self.max_days}
        document["exemptions"] = [asdict(e) | {"expires": e.expires.isoformat()} for e in self.entries]
        if self.tag_policy is not None:
            document["tag_exemptions"] = asdict(self.tag_policy)
        return json.dumps(document, indent=2, default=list)


def _any(patterns: tuple[str, ...], value: str) -> bool:
    return "*" in patterns or value in patterns


def _any_account(patterns: tuple[str, ...], account_id: str, ous: Ancestors) -> bool:
    if _any(patterns, account_id):
        return True
    named = {p for p in patterns if p.startswith("ou-")}
    return bool(named) and bool(named & ous(account_id))  # Organizations is asked only when an OU is named


class OrganizationalUnits:
    """The OUs an account sits in, up to the root (Organizations ListParents), kept for `ttl` seconds."""

    def __init__(self, organizations: Callable[[], Any], ttl: float = 300.0):
        self.organizations, self.ttl = organizations, ttl
        self._known: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def __call__(self, account_id: str) -> frozenset[str]:
        with self._lock:
            known = self._known.get(account_id)
            if known and time.monotonic() - known[0] < self.ttl:
                return known[1]
            found, child = set(), account_id
            while True:
                [parent] = self.organizations().list_parents(ChildId=child)["Parents"]
                if parent["Type"] != "ORGANIZATIONAL_UNIT":
                    break
                found.add(child := parent["Id"])
            self._known[account_id] = (time.monotonic(), frozenset(found))
            return frozenset(found)


# --- reading and validating ---------------------------------------------------------------------


def parse_yaml(text: str, today: date) -> Register:
    """The register of a YAML source; InvalidRegister names the line of each problem."""
    import yaml  # the command line's dependency, not the functions' (they read the deployed JSON)

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise InvalidRegister([Problem(mark.line + 1 if mark else 0, f"not YAML: {error}")]) from None
    lines: dict[tuple[Any, ...], int] = {}
    document = _plain(node, (), lines) if node is not None else None
    return from_document(document, today, lines)


def parse_json(text: str) -> Register:
    """The deployed register: validated as at deployment, except that an entry may have expired since."""
    try:
        document = json.loads(text)
    except ValueError as error:
        raise InvalidRegister([Problem(0, f"not JSON: {error}")]) from None
    return from_document(document, None)


def _plain(node: Any, path: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> Any:
    """The node's Python value (every scalar a string), noting the line of each path."""
    import yaml

    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result = {}
        for key, value in node.value:
            name = str(key.value)
            result[name] = _plain(value, (*path, name), lines)
            lines[(*path, name)] = key.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, (*path, index), lines) for index, item in enumerate(node.value)]
    return node.value


def from_document(document: Any, today: date | None, lines: Mapping[tuple[Any, ...], int] | None = None) -> Register:
    problems: list[Problem] = []
    lines = lines or {}

    def problem(path: tuple[Any, ...], message: str) -> None:
        while path and path not in lines:
            path = path[:-1]
        problems.append(Problem(lines.get(path, 0), message))

    if not isinstance(document, Mapping):
        raise InvalidRegister([Problem(1 if lines else 0, "the register is a mapping with an `exemptions` list")])
    for key in sorted(set(document) - TOP_KEYS):
        problem((key,), f"unknown key {key!r} (expected one of {', '.join(sorted(TOP_KEYS))})")
    max_days = _days(document.get("max_days", DEFAULT_MAX_DAYS), ("max_days",), problem, DEFAULT_MAX_DAYS)
    raw_entries = document.get("exemptions", [])
    if not isinstance(raw_entries, list):
        problem(("exemptions",), "exemptions is a list of entries")
        raw_entries = []
    entries, seen = [], set()
    for index, raw in enumerate(raw_entries):
        entry = _entry(raw, ("exemptions", index), today, max_days, problem)
        if entry and entry.id in seen:
            problem(("exemptions", index, "id"), f"id {entry.id!r} is used twice")
        elif entry:
            seen.add(entry.id)
            entries.append(entry)
    tag_policy = None
    if "tag_exemptions" in document:
        tag_policy = _tag_policy(document["tag_exemptions"], ("tag_exemptions",), max_days, problem)
    if problems:
        raise InvalidRegister(sorted(problems, key=lambda p: p.line))
    return Register(tuple(entries), tag_policy, max_days)


def _days(value: Any, path: tuple[Any, ...], problem: Callable[..., None], ceiling: int) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= ceiling:
        problem(path, f"{path[-1]} is a number of days from 1 to {ceiling}, got {value!r}")
        return ceiling
    return days


def _strings(raw: Any, path: tuple[Any, ...], problem: Callable[..., None]) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw or not all(isinstance(v, str) and v.strip() for v in raw):
        problem(path, f"{path[-1]} is a non-empty list of strings")
        return ()
    return tuple(v.strip() for v in raw)


def _check_each(values: tuple[str, ...], path: tuple[Any, ...], problem: Callable[..., None], judge: Any) -> None:
    for index, value in enumerate(values):
        if value != "*" and (message := judge(value)):
            problem((*path, index), message)


def _account_problem(value: str) -> str:
    if ACCOUNT.match(value):
        return ""
    if OU.match(value):
        return ""
    return f"account {value!r} is not a 12-digit account id, an organizational unit id (ou-...) or '*'"


def _control_problem(value: str) -> str:
    return "" if value in REGISTRY else f"unknown control id {value!r}"


def _resource_problem(value: str) -> str:
    if ARN.match(value) or ACCOUNT_RESOURCE.match(value):
        return ""
    expected = "an ARN pattern (arn:partition:service:region:account:resource), 'AWS::::Account:<id>' or '*'"
    return f"resource {value!r} is not {expected}"


def _entry(
    raw: Any, path: tuple[Any, ...], today: date | None, max_days: int, problem: Callable[..., None]
) -> Entry | None:
    if not isinstance(raw, Mapping):
        problem(path, "an entry is a mapping")
        return None
    found: list[str] = []

    def report(at: tuple[Any, ...], message: str) -> None:
        found.append(message)
        problem(at, message)

    _entry_problems(raw, path, report)
    expires = _expiry(raw.get("expires"), (*path, "expires"), today, max_days, report) if "expires" in raw else None
    if found or expires is None:
        return None
    lists = [_strings(raw[k], (), report) for k in ("accounts", "regions", "controls", "resources")]
    return Entry(str(raw["id"]), *lists, str(raw["reason"]).strip(), str(raw["approver"]).strip(), expires)


def _entry_problems(raw: Mapping[str, Any], path: tuple[Any, ...], problem: Callable[..., None]) -> None:
    for key in sorted(set(raw) - ENTRY_KEYS):
        problem((*path, key), f"unknown key {key!r} (expected {', '.join(sorted(ENTRY_KEYS))})")
    for key in sorted(ENTRY_KEYS - set(raw)):
        problem(path, f"entry is missing {key!r}")
    entry_id = str(raw.get("id", ""))
    if "id" in raw and not ENTRY_ID.match(entry_id):
        problem((*path, "id"), f"id {entry_id!r}: letters, digits, '.', '_' and '-', at most 64")
    for key, judge in (
        ("accounts", _account_problem),
        ("regions", lambda v: "" if REGION.match(v) else f"region {v!r} is not a region name or '*'"),
        ("controls", _control_problem),
        ("resources", _resource_problem),
    ):
        values = _strings(raw.get(key), (*path, key), problem) if key in raw else ()
        _check_each(values, (*path, key), problem, judge)
    for key in ("reason", "approver"):
        if key in raw and not (isinstance(raw[key], str) and raw[key].strip()):
            problem((*path, key), f"{key} is non-empty text")


def _expiry(
    raw: Any, path: tuple[Any, ...], today: date | None, max_days: int, problem: Callable[..., None]
) -> date | None:
    """The entry's last day; `today` None (the deployed register, read later) checks the date's form only."""
    try:
        expires = raw if isinstance(raw, date) else date.fromisoformat(str(raw))
    except ValueError:
        problem(path, f"expires {raw!r} is not a date (YYYY-MM-DD)")
        return None
    if today is None:
        return expires
    if expires < today:
        problem(path, f"expires {expires} is in the past")
        return None
    if expires > today + timedelta(days=max_days):
        problem(path, f"expires {expires} is more than {max_days} days ahead (the register's max_days)")
        return None
    return expires


def _tag_policy(raw: Any, path: tuple[Any, ...], max_days: int, problem: Callable[..., None]) -> TagPolicy | None:
    if not isinstance(raw, Mapping):
        problem(path, "tag_exemptions is a mapping of accounts, controls and max_days")
        return None
    for key in sorted(set(raw) - TAG_POLICY_KEYS):
        problem((*path, key), f"unknown key {key!r} (expected {', '.join(sorted(TAG_POLICY_KEYS))})")
    accounts = _strings(raw.get("accounts"), (*path, "accounts"), problem)
    _check_each(accounts, (*path, "accounts"), problem, _account_problem)
    controls = _strings(raw.get("controls"), (*path, "controls"), problem)
    _check_each(controls, (*path, "controls"), problem, _control_problem)
    days = _days(raw.get("max_days", DEFAULT_TAG_MAX_DAYS), (*path, "max_days"), problem, max_days)
    return TagPolicy(accounts, controls, days)


# --- the deployed register ----------------------------------------------------------------------


class S3Register:
    """The deployed register (REGISTER_KEY in a bucket of the deployment's own account), read again at most
    every `ttl` seconds. A register that cannot be read, or is invalid, raises: the evaluation is retried, then
    dead-lettered, rather than judged without the exemptions the security team granted."""

    def __init__(self, bucket: str, owner: str, s3: Callable[[], Any], ous: Ancestors, ttl: float = 300.0):
        self.bucket, self.owner, self.s3, self.ous, self.ttl = bucket, owner, s3, ous, ttl
        self._cached: tuple[float, Register] | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Register:
        with self._lock:
            if self._cached and time.monotonic() - self._cached[0] < self.ttl:
                return self._cached[1]
            # ExpectedBucketOwner: a bucket of the same name in another account is never read.
            response = self.s3().get_object(Bucket=self.bucket, Key=REGISTER_KEY, ExpectedBucketOwner=self.owner)
            register = replace(parse_json(response["Body"].read().decode()), ous=self.ous)
            self._cached = (time.monotonic(), register)
            return register
