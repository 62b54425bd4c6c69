"""stepfunctions_logging_enabled: the pure verdict and round trips on moto."""

from __future__ import annotations

import json

import pytest
from logbaseline.controls.stepfunctions_logging_enabled import CONTROL
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:orders-flow"  # the samples' state machine
GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:/sfn/orders-flow:*"
DEFINITION = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
ROLE = "arn:aws:iam::123456789012:role/orders-flow"


@pytest.mark.parametrize(
    ("level", "groups", "status", "phrase"),
    [
        ("OFF", [], Status.FAILED, "state machine orders-flow has logging OFF"),
        ("ALL", [GROUP], Status.PASSED, f"logs at ALL to {GROUP}"),
        ("ERROR", [GROUP], Status.PASSED, "logs at ERROR"),
        ("FATAL", [GROUP], Status.PASSED, "logs at FATAL"),
        ("ERROR", [], Status.FAILED, "logs at ERROR but to no log group"),
    ],
)
def test_evaluate(level, groups, status, phrase):
    state = {"name": "orders-flow", "level": level, "log_groups": groups}
    verdict = CONTROL.evaluate(Resource("123456789012", REGION, ARN, state), {})
    assert (verdict.status, verdict.fixable) == (status, False) and phrase in verdict.reason


def test_no_fix():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF
    assert "Security Hub StepFunctions.1" in CONTROL.related_requirements


# --- round trips on the moto server -------------------------------------------------------


def logging_to(aws, level: str) -> dict:
    aws("logs").create_log_group(logGroupName="/sfn/orders-flow")
    return {
        "level": level,
        "includeExecutionData": False,
        "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": GROUP}}],
    }


def mine(report):
    return [o for o in report.outcomes if o.control.id == CONTROL.id]


def test_round_trip_created_without_logging_then_logged(aws, account_id):
    """CreateStateMachine -> FAILED, no fix; logging ERROR to a log group -> PASSED (Config item)."""
    states = aws("stepfunctions")
    assert (
        states.create_state_machine(name="orders-flow", definition=DEFINITION, roleArn=ROLE)["stateMachineArn"] == ARN
    )
    service = make_service(account_id)
    report = service.evaluate_event(load_event("cloudtrail/states-CreateStateMachine.json"))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(ARN, Status.FAILED)]
    assert report.fixes_requested == []
    finding = findings_by_resource(aws)[(CONTROL.id, ARN)]
    assert (
        finding["Compliance"]["Status"] == "FAILED" and finding["Resources"][0]["Type"] == "AwsStepFunctionStateMachine"
    )

    states.update_state_machine(stateMachineArn=ARN, loggingConfiguration=logging_to(aws, "ERROR"))
    report = service.evaluate_event(load_event("config/AWS-StepFunctions-StateMachine.json"))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(ARN, Status.PASSED)]


def test_collect_every_state_machine_and_a_deleted_one_is_archived(aws, account_id):
    states = aws("stepfunctions")
    states.create_state_machine(name="orders-flow", definition=DEFINITION, roleArn=ROLE)
    states.create_state_machine(
        name="billing", definition=DEFINITION, roleArn=ROLE, loggingConfiguration=logging_to(aws, "ALL")
    )
    found = {r.state["name"]: CONTROL.evaluate(r, {}).status for r in CONTROL.collect(aws, Scope(account_id, REGION))}
    assert found == {"orders-flow": Status.FAILED, "billing": Status.PASSED}

    service = make_service(account_id)
    states.delete_state_machine(stateMachineArn=ARN)
    report = service.evaluate_event(load_event("cloudtrail/states-UpdateStateMachine.json"))
    assert [(o.present, o.resource_id) for o in mine(report)] == [(False, ARN)]
    assert findings_by_resource(aws)[(CONTROL.id, ARN)]["RecordState"] == "ARCHIVED"
