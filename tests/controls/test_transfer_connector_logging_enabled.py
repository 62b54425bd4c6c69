"""transfer_connector_logging_enabled: the pure verdict and round trips on moto."""

from __future__ import annotations

import json

import pytest
from logbaseline.controls.transfer_connector_logging_enabled import CONTROL, connector_arn
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

SAMPLE_ID = "c-4a6c8e0a2c4e6a8c0"  # the samples' connector
SAMPLE_ARN = f"arn:aws:transfer:us-east-1:123456789012:connector/{SAMPLE_ID}"
URL = "sftp://files.partner.example.com"
ROLE = "arn:aws:iam::123456789012:role/transfer-logs"
SFTP = {"UserSecretId": "arn:aws:secretsmanager:us-east-1:123456789012:secret:partner-sftp", "TrustedHostKeys": ["k"]}


@pytest.mark.parametrize(
    ("role", "status", "phrase"),
    [
        ("", Status.FAILED, f"connector {SAMPLE_ID} to {URL} has no logging role"),
        (ROLE, Status.PASSED, f"logs its transfers to CloudWatch Logs with role {ROLE}"),
    ],
)
def test_evaluate(role, status, phrase):
    state = {"url": URL, "logging_role": role}
    verdict = CONTROL.evaluate(Resource("123456789012", REGION, SAMPLE_ARN, state), {})
    assert (verdict.status, verdict.fixable) == (status, False) and phrase in verdict.reason


def test_metadata_and_resource_id():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF
    account = "123456789012"
    assert (
        connector_arn(Scope(account, REGION, SAMPLE_ID))
        == SAMPLE_ARN
        == connector_arn(Scope(account, REGION, SAMPLE_ARN))
    )


# --- round trips on the moto server -------------------------------------------------------


def create(aws, **logging) -> str:
    access = "arn:aws:iam::123456789012:role/transfer-access"
    return aws("transfer").create_connector(Url=URL, AccessRole=access, SftpConfig=SFTP, **logging)["ConnectorId"]


def event_for(relative: str, identifier: str) -> dict:
    """The sample, naming the emulator's connector (moto picks connector ids at random)."""
    return json.loads(json.dumps(load_event(relative)).replace(SAMPLE_ID, identifier))


def mine(report):
    return [o for o in report.outcomes if o.control.id == CONTROL.id]


def test_round_trip_created_without_logging_role_then_given_one(aws, account_id):
    """CreateConnector -> FAILED, no fix; UpdateConnector with a LoggingRole -> PASSED; a Config item re-judges."""
    identifier = create(aws)
    arn = f"arn:aws:transfer:{REGION}:{account_id}:connector/{identifier}"
    service = make_service(account_id)
    report = service.evaluate_event(event_for("cloudtrail/transfer-CreateConnector.json", identifier))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(arn, Status.FAILED)]
    assert report.fixes_requested == []
    finding = findings_by_resource(aws)[(CONTROL.id, arn)]
    assert finding["Compliance"]["Status"] == "FAILED" and finding["Resources"][0]["Type"] == "Other"

    aws("transfer").update_connector(ConnectorId=identifier, LoggingRole=ROLE)
    report = service.evaluate_event(event_for("cloudtrail/transfer-UpdateConnector.json", identifier))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(arn, Status.PASSED)]
    report = service.evaluate_event(event_for("config/AWS-Transfer-Connector.json", identifier))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(arn, Status.PASSED)]


def test_every_connector_and_a_deleted_one_is_archived(aws, account_id):
    unlogged, logged = create(aws), create(aws, LoggingRole=ROLE)
    found = {
        r.resource_id.rsplit("/", 1)[-1]: CONTROL.evaluate(r, {}).status
        for r in CONTROL.collect(aws, Scope(account_id, REGION))
    }
    assert found == {unlogged: Status.FAILED, logged: Status.PASSED}

    service = make_service(account_id)
    aws("transfer").delete_connector(ConnectorId=unlogged)
    report = service.evaluate_event(event_for("cloudtrail/transfer-UpdateConnector.json", unlogged))
    arn = f"arn:aws:transfer:{REGION}:{account_id}:connector/{unlogged}"
    assert [(o.present, o.resource_id) for o in mine(report)] == [(False, arn)]
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["RecordState"] == "ARCHIVED"
