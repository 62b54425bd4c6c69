"""redshift_serverless_logs_exported: the pure verdict and round trips on the emulator's namespaces (moto has no
Redshift Serverless: emulation/redshift_serverless.py, held to botocore's model)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError, ParamValidationError
from logbaseline.controls.redshift_serverless_logs_exported import CONTROL, namespace_resource_id
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

SAMPLE_ARN = "arn:aws:redshift-serverless:us-east-1:123456789012:namespace/3c5e7a9b-1d2f-4a4b-8c6d-8e0f2a4b6c8d"


@pytest.mark.parametrize(
    ("exports", "status", "phrase"),
    [
        ([], Status.FAILED, "namespace analytics does not export connectionlog, userlog to CloudWatch Logs"),
        (["userlog"], Status.FAILED, "does not export connectionlog to CloudWatch Logs (it exports userlog)"),
        (["connectionlog", "userlog"], Status.PASSED, "exports connectionlog, userlog to CloudWatch Logs"),
        (["connectionlog", "useractivitylog", "userlog"], Status.PASSED, "exports connectionlog, useractivitylog"),
    ],
)
def test_evaluate(exports, status, phrase):
    verdict = CONTROL.evaluate(
        Resource("123456789012", REGION, SAMPLE_ARN, {"name": "analytics", "exports": exports}), {}
    )
    assert (verdict.status, verdict.fixable) == (status, False) and phrase in verdict.reason


def test_metadata_and_resource_id():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF
    assert namespace_resource_id(Scope("123456789012", REGION, SAMPLE_ARN)) == SAMPLE_ARN


def test_the_emulators_namespaces_refuse_what_aws_refuses(aws):
    serverless = aws("redshift-serverless")
    serverless.create_namespace(namespaceName="analytics")
    for call, code in [
        (lambda: serverless.create_namespace(namespaceName="analytics"), "ConflictException"),
        (lambda: serverless.create_namespace(namespaceName="Analytics"), "ValidationException"),
        (lambda: serverless.get_namespace(namespaceName="missing"), "ResourceNotFoundException"),
        (
            lambda: serverless.update_namespace(namespaceName="analytics", logExports=["querylog"]),
            "ValidationException",
        ),
    ]:
        with pytest.raises(ClientError) as refused:
            call()
        assert refused.value.response["Error"]["Code"] == code
    with pytest.raises(ParamValidationError):  # botocore's own checks come first, as against AWS
        serverless.create_namespace(namespaceName="ab")


# --- round trips on the emulator ----------------------------------------------------------


def event_for(relative: str, arn: str) -> dict:
    """The sample, naming the emulator's namespace (its id is picked at random)."""
    return json.loads(json.dumps(load_event(relative)).replace(SAMPLE_ARN, arn))


def mine(report):
    return [o for o in report.outcomes if o.control.id == CONTROL.id]


def test_round_trip_created_without_exports_then_exported(aws, account_id):
    """CreateNamespace -> FAILED, no fix; UpdateNamespace exporting both logs -> PASSED; a Config item re-judges."""
    serverless = aws("redshift-serverless")
    arn = serverless.create_namespace(namespaceName="analytics")["namespace"]["namespaceArn"]
    service = make_service(account_id)
    report = service.evaluate_event(event_for("cloudtrail/redshift-serverless-CreateNamespace.json", arn))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(arn, Status.FAILED)]
    assert report.fixes_requested == []
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["Compliance"]["Status"] == "FAILED"

    serverless.update_namespace(namespaceName="analytics", logExports=["connectionlog", "userlog"])
    report = service.evaluate_event(event_for("cloudtrail/redshift-serverless-UpdateNamespace.json", arn))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(arn, Status.PASSED)]
    serverless.update_namespace(namespaceName="analytics", logExports=["userlog"])
    report = service.evaluate_event(event_for("config/AWS-RedshiftServerless-Namespace.json", arn))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(arn, Status.FAILED)]


def test_every_namespace_and_a_deleted_one_is_archived(aws, account_id):
    serverless = aws("redshift-serverless")
    arn = serverless.create_namespace(namespaceName="analytics")["namespace"]["namespaceArn"]
    serverless.create_namespace(namespaceName="finance", logExports=["connectionlog", "userlog", "useractivitylog"])
    found = {r.state["name"]: CONTROL.evaluate(r, {}).status for r in CONTROL.collect(aws, Scope(account_id, REGION))}
    assert found == {"analytics": Status.FAILED, "finance": Status.PASSED}

    service = make_service(account_id)
    serverless.delete_namespace(namespaceName="analytics")
    report = service.evaluate_event(event_for("config/AWS-RedshiftServerless-Namespace.json", arn))
    assert [(o.present, o.resource_id) for o in mine(report)] == [(False, arn)]
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["RecordState"] == "ARCHIVED"
