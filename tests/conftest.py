"""Shared fixtures: one moto server over HTTP for the session, a clean account per test."""

from __future__ import annotations

import contextvars
import json
import os
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.config import Config
from hypothesis import settings as hypothesis_settings
from logbaseline import aws, demo, emulator
from logbaseline.aws import Clients, caller_account_id
from logbaseline.controls import REGISTRY
from logbaseline.engine import AccountClients, Service, findings
from logbaseline.engine.settings import Settings
from logbaseline.local import LocalStack

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
REGION = emulator.REGION
# moto answers "not implemented" with a 500 that botocore would retry for seconds.
NO_RETRY = Config(retries={"max_attempts": 1})


def load_event(relative: str) -> dict[str, Any]:
    return json.loads((EVENTS / relative).read_text())


def caller(event: dict[str, Any]) -> str:
    """The CloudTrail caller of a sample event (a fix request names who opened the gap); empty for Config."""
    return event["detail"].get("userIdentity", {}).get("arn", "")


# An operation missing from the trimmed service models fails the tests rather than falling back to the full
# model: `make service-models` writes it in (tests/test_trimmed_models.py).
aws.FULL_MODEL_FALLBACK = False


# --- Hypothesis: the same examples on every CI run, so a failure there reproduces anywhere ----------------

# CI sets CI=true. Derandomized, each property draws the same examples from a seed fixed by its own source,
# and no example database is read or kept; a developer's run still explores, and keeps its failures.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
hypothesis_settings.register_profile("dev")
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


# --- every AWS call, by the Lambda role making it -------------------------------------

current_role: contextvars.ContextVar[str] = contextvars.ContextVar("current_role", default="")
CALLS: dict[str, set[str]] = defaultdict(set)
CALL_LOG: list[tuple[str, str]] = []  # (role, action) in order, for counting
_original_make_api_call = BaseClient._make_api_call


def _recording_make_api_call(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
    role = current_role.get()
    if role:
        action = f"{self.meta.service_model.signing_name}:{operation_name}"
        CALLS[role].add(action)
        CALL_LOG.append((role, action))
    return _original_make_api_call(self, operation_name, api_params)


BaseClient._make_api_call = _recording_make_api_call  # type: ignore[method-assign]
_original_invoke = LocalStack.invoke


def _invoke_as_role(self: LocalStack, role: str, event: Any) -> Any:
    token = current_role.set(role)
    try:
        return _original_invoke(self, role, event)
    finally:
        current_role.reset(token)


LocalStack.invoke = _invoke_as_role  # type: ignore[method-assign]


# --- the emulator -----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def apart() -> None:
    """Each test starts with the service's Security Hub pacing at full buckets, as the emulator's do: tests run
    back to back, and one test's calls must not decide whether the next one's lookups are deferred."""
    findings.PACER.reset()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with emulator.moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def aws(moto_endpoint: str) -> Iterator[Clients]:
    """Clients on a freshly reset emulated account."""
    emulator.reset(moto_endpoint)
    clients = Clients(REGION, config=NO_RETRY)
    clients("securityhub").enable_security_hub(EnableDefaultStandards=False)
    yield clients


@pytest.fixture
def account_id(aws: Clients) -> str:
    return caller_account_id()


def make_service(account_id: str, **environ: str) -> Service:
    """A service on the emulator. Given modes, every control not named is off, so a test sees only its fixes."""
    if "LOGBASELINE_REMEDIATION_MODES" in environ:
        others_off = ",".join(f"{control_id}=off" for control_id in REGISTRY)
        environ["LOGBASELINE_REMEDIATION_MODES"] = f"{others_off},{environ['LOGBASELINE_REMEDIATION_MODES']}"
    return Service(Settings.from_env(environ), AccountClients(account_id), Clients(REGION, config=NO_RETRY))


# A person reading findings shares the account's GetFindings quota with the service: their client retries as the
# AWS SDKs do when the emulator throttles it.
PATIENT = Config(retries={"mode": "standard", "max_attempts": 10})


def findings_by_resource(clients: Clients) -> dict[tuple[str, str], dict[str, Any]]:
    """Security Hub findings keyed by (control id, resource id)."""
    patient = Clients(clients.region, clients._session, PATIENT)  # noqa: SLF001 - the same identity, retrying
    pages = patient("securityhub").get_paginator("get_findings").paginate()
    return {
        (f["ProductFields"]["logbaseline/ControlId"], f["Resources"][0]["Id"]): f
        for page in pages
        for f in page["Findings"]
    }


@pytest.fixture
def stack(aws: Clients) -> LocalStack:
    """The template's rules, queues and handlers, stood up in the emulator (all fixes in auto)."""
    modes = demo.ALL_AUTO
    return LocalStack(
        ROOT,
        REGION,
        {"LOGBASELINE_REMEDIATION_MODES": modes, "LOGBASELINE_FLOW_LOG_DESTINATION": "/logbaseline/vpc-flow-logs"},
    )
