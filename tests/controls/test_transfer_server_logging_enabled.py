"""transfer_server_logging_enabled: the pure verdict and round trips on moto."""

from __future__ import annotations

import json

import pytest
from logbaseline.controls.transfer_server_logging_enabled import CONTROL, server_arn
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

SAMPLE_ID = "s-2b4d6f8a0c2e4a6b8"  # the samples' server
SAMPLE_ARN = f"arn:aws:transfer:us-east-1:123456789012:server/{SAMPLE_ID}"
ROLE = "arn:aws:iam::123456789012:role/transfer-logs"
GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/transfer/s-2b4d6f8a0c2e4a6b8:*"


@pytest.mark.parametrize(
    ("role", "groups", "status", "phrase"),
    [
        ("", [], Status.FAILED, f"SFTP server {SAMPLE_ID} has no logging role and no log destination"),
        (ROLE, [], Status.PASSED, f"logs to CloudWatch Logs with role {ROLE}"),
        ("", [GROUP], Status.PASSED, f"writes structured logs to {GROUP}"),
        (ROLE, [GROUP], Status.PASSED, "writes structured logs to"),
    ],
)
def test_evaluate(role, groups, status, phrase):
    state = {"protocols": ["SFTP"], "logging_role": role, "log_groups": groups}
    verdict = CONTROL.evaluate(Resource("123456789012", REGION, SAMPLE_ARN, state), {})
    assert (verdict.status, verdict.fixable) == (status, False) and phrase in verdict.reason


def test_metadata_and_resource_id():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF
    account = "123456789012"
    assert server_arn(Scope(account, REGION, SAMPLE_ID)) == SAMPLE_ARN == server_arn(Scope(account, REGION, SAMPLE_ARN))


# --- round trips on the moto server -------------------------------------------------------


def event_for(relative: str, identifier: str) -> dict:
    """The sample, naming the emulator's server (moto picks server ids at random)."""
    return json.loads(json.dumps(load_event(relative)).replace(SAMPLE_ID, identifier))


def mine(report):
    return [o for o in report.outcomes if o.control.id == CONTROL.id]


def test_round_trip_created_without_logging_fails_and_a_logged_one_passes(aws, account_id):
    """CreateServer without logging -> FAILED, no fix; a server with a structured log destination -> PASSED (Config
    item). moto has no UpdateServer (docs/emulator-gaps.md): the logging is given at creation."""
    identifier = aws("transfer").create_server()["ServerId"]
    arn = f"arn:aws:transfer:{REGION}:{account_id}:server/{identifier}"
    service = make_service(account_id)
    report = service.evaluate_event(event_for("cloudtrail/transfer-CreateServer.json", identifier))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(arn, Status.FAILED)]
    assert report.fixes_requested == []
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["Compliance"]["Status"] == "FAILED"

    logged = aws("transfer").create_server(StructuredLogDestinations=[GROUP])["ServerId"]
    report = service.evaluate_event(event_for("config/AWS-Transfer-Server.json", logged))
    logged_arn = f"arn:aws:transfer:{REGION}:{account_id}:server/{logged}"
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(logged_arn, Status.PASSED)]


def test_every_server_and_a_deleted_one_is_archived(aws, account_id):
    unlogged = aws("transfer").create_server()["ServerId"]
    logged = aws("transfer").create_server(LoggingRole=ROLE)["ServerId"]
    resources = CONTROL.collect(aws, Scope(account_id, REGION))
    assert {r.resource_id.rsplit("/", 1)[-1]: CONTROL.evaluate(r, {}).status for r in resources} == {
        unlogged: Status.FAILED,
        logged: Status.PASSED,
    }
    service = make_service(account_id)
    aws("transfer").delete_server(ServerId=unlogged)
    report = service.evaluate_event(event_for("cloudtrail/transfer-UpdateServer.json", unlogged))
    arn = f"arn:aws:transfer:{REGION}:{account_id}:server/{unlogged}"
    assert [(o.present, o.resource_id) for o in mine(report)] == [(False, arn)]
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["RecordState"] == "ARCHIVED"
