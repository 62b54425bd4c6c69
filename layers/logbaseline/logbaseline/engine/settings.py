"""The deployment's baseline: control parameters and remediation modes.

Read from the environment at call time (never at import): LOGBASELINE_<PARAMETER>
for each control parameter, LOGBASELINE_REMEDIATION_MODES as "control_id=mode,control_id=mode",
LOGBASELINE_REMEDIATION_ACCOUNTS_ALLOW / _DENY as comma-separated account ids, LOGBASELINE_CONTROLS
as the comma-separated controls the deployment evaluates (empty: all of them), and for the command line
LOGBASELINE_EXEMPTIONS_FILE, an exemption register's YAML source (the functions read the deployed one).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import boto3

from logbaseline.aws import CLIENT_CONFIG
from logbaseline.controls import REGISTRY, all_controls
from logbaseline.controls.base import Control
from logbaseline.controls.logs_log_group_retention_bounded import CEILING, FLOOR
from logbaseline.engine.register import InvalidRegister, OrganizationalUnits, Register, parse_yaml
from logbaseline.engine.tag_records import TagRecords
from logbaseline.models import Mode

MODES_VARIABLE = "LOGBASELINE_REMEDIATION_MODES"
ALLOW_VARIABLE = "LOGBASELINE_REMEDIATION_ACCOUNTS_ALLOW"
DENY_VARIABLE = "LOGBASELINE_REMEDIATION_ACCOUNTS_DENY"
CONTROLS_VARIABLE = "LOGBASELINE_CONTROLS"
EXEMPTIONS_FILE_VARIABLE = "LOGBASELINE_EXEMPTIONS_FILE"  # a register's YAML source, for the command line


class InvalidSettings(ValueError):
    pass


def variable(parameter_name: str) -> str:
    return f"LOGBASELINE_{parameter_name.upper()}"


@dataclass(frozen=True)
class Settings:
    overrides: Mapping[str, Any] = field(default_factory=dict)
    modes: Mapping[str, Mode] = field(default_factory=dict)
    allow_accounts: frozenset[str] = frozenset()  # empty: every account may be fixed
    deny_accounts: frozenset[str] = frozenset()
    controls: frozenset[str] = frozenset()  # the controls evaluated; empty: every control
    # The security team's exemption register, read when needed (engine/register.py); None: tags alone exempt.
    exemptions: Callable[[], Register] | None = field(default=None, compare=False)
    # Since when a resource's exemption tag has been set (engine/tag_records.py); None: counted from today.
    tag_records: TagRecords | None = field(default=None, compare=False)

    def evaluates(self, control: Control) -> bool:
        return not self.controls or control.id in self.controls

    def params(self, control: Control) -> dict[str, Any]:
        return {p.name: self.overrides.get(p.name, p.default) for p in control.parameters}

    def excluded(self, account_id: str) -> str:
        """Why fixes are off in this account (the deny or allow list), or empty."""
        if account_id in self.deny_accounts:
            return f"account {account_id} is in the remediation deny list"
        if self.allow_accounts and account_id not in self.allow_accounts:
            return f"account {account_id} is not in the remediation allow list"
        return ""

    def mode(self, control: Control, account_id: str | None = None) -> Mode:
        """The control's mode; off in an account that the allow list leaves out or the deny list names."""
        if account_id is not None and self.excluded(account_id):
            return Mode.OFF
        return self.modes.get(control.id, control.default_mode if control.remediate else Mode.OFF)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        overrides: dict[str, Any] = {}
        for control in all_controls():
            for parameter in control.parameters:
                raw = environ.get(variable(parameter.name), "")
                if raw != "":
                    try:
                        overrides[parameter.name] = parameter.parse(raw)
                    except ValueError as error:
                        raise InvalidSettings(str(error)) from None
        allow, deny = (parse_accounts(environ.get(name, ""), name) for name in (ALLOW_VARIABLE, DENY_VARIABLE))
        controls = frozenset(part.strip() for part in environ.get(CONTROLS_VARIABLE, "").split(",") if part.strip())
        settings = cls.validated(overrides, parse_modes(environ.get(MODES_VARIABLE, "")), allow, deny, controls)
        if environ.get(EXEMPTIONS_FILE_VARIABLE):
            register = _register_file(environ[EXEMPTIONS_FILE_VARIABLE])
            settings = replace(settings, exemptions=lambda: register)
        return settings

    @classmethod
    def validated(
        cls,
        overrides: Mapping[str, Any],
        modes: Mapping[str, Mode],
        allow: frozenset[str] = frozenset(),
        deny: frozenset[str] = frozenset(),
        controls: frozenset[str] = frozenset(),
    ) -> Settings:
        floor = overrides.get(FLOOR.name, FLOOR.default)
        ceiling = overrides.get(CEILING.name, CEILING.default)
        if floor > ceiling:
            raise InvalidSettings(f"retention floor {floor} is above the ceiling {ceiling}")
        for control_id in modes:
            if control_id not in REGISTRY:
                raise InvalidSettings(f"{MODES_VARIABLE}: unknown control {control_id!r}")
        for control_id in sorted(controls):
            if control_id not in REGISTRY:
                raise InvalidSettings(f"{CONTROLS_VARIABLE}: unknown control {control_id!r}")
        return cls(dict(overrides), dict(modes), allow, deny, controls)


def _register_file(path: str) -> Register:
    try:
        register = parse_yaml(Path(path).read_text(), date.today())
        return replace(register, ous=OrganizationalUnits(lambda: boto3.client("organizations", config=CLIENT_CONFIG)))
    except OSError as error:
        raise InvalidSettings(f"{EXEMPTIONS_FILE_VARIABLE}: {error}") from None
    except InvalidRegister as error:
        first = error.problems[0]
        more = (
            f" (and {len(error.problems) - 1} more: logbaseline exemptions validate {path})"
            if error.problems[1:]
            else ""
        )
        raise InvalidSettings(f"{EXEMPTIONS_FILE_VARIABLE}: {path}:{first.line}: {first.message}{more}") from None


def parse_accounts(raw: str, name: str) -> frozenset[str]:
    accounts = frozenset(part.strip() for part in raw.split(",") if part.strip())
    bad = [a for a in accounts if not (a.isdigit() and len(a) == 12)]
    if bad:
        raise InvalidSettings(f"{name}: {', '.join(sorted(bad))} is not a 12-digit account id")
    return accounts


def parse_modes(raw: str) -> dict[str, Mode]:
    modes = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        control_id, _, mode = item.partition("=")
        try:
            modes[control_id.strip()] = Mode(mode.strip())
        except ValueError:
            raise InvalidSettings(
                f"{MODES_VARIABLE}: {item!r} is not control_id=mode with mode one of off, dry-run, auto"
            ) from None
    return modes
