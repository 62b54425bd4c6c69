"""A Step Functions state machine logs its executions' history to CloudWatch Logs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

LOGGING = ("ALL", "ERROR", "FATAL")  # OFF logs nothing


def state_machine_arn(scope: Scope) -> str:
    return scope.resource_id or ""  # every trigger names the state machine by its ARN


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    states = clients("stepfunctions")
    if scope.resource_id:
        arns = [scope.resource_id]
    else:
        pages = states.get_paginator("list_state_machines").paginate()
        arns = [m["stateMachineArn"] for page in pages for m in page["stateMachines"]]
    resources = []
    for arn in arns:
        try:
            machine = states.describe_state_machine(stateMachineArn=arn)
        except (states.exceptions.StateMachineDoesNotExist, states.exceptions.InvalidArn):
            continue  # deleted since the event or the listing, or not a state machine
        logging = machine.get("loggingConfiguration") or {}
        groups = [
            d["cloudWatchLogsLogGroup"]["logGroupArn"]
            for d in logging.get("destinations") or []
            if (d.get("cloudWatchLogsLogGroup") or {}).get("logGroupArn")
        ]
        state = {"name": machine["name"], "level": logging.get("level") or "OFF", "log_groups": groups}
        resources.append(Resource(scope.account_id, scope.region, machine["stateMachineArn"], state))
    return resources


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    label = f"state machine {state['name']}"
    if state["level"] in LOGGING and state["log_groups"]:
        return passed(f"{label} logs at {state['level']} to {', '.join(state['log_groups'])}")
    if state["level"] in LOGGING:
        return failed(f"{label} logs at {state['level']} but to no log group")
    return failed(f"{label} has logging {state['level']}: its executions' history is not logged")


CONTROL = Control(
    id="stepfunctions_logging_enabled",
    title="Step Functions state machines log their executions",
    description=("A state machine's logging level is ALL, ERROR or FATAL, to a CloudWatch Logs log group (OFF fails)."),
    severity=Severity.MEDIUM,
    resource_type="AwsStepFunctionStateMachine",
    related_requirements=(SEC04_BP01, "Security Hub StepFunctions.1"),
    collect=collect,
    evaluate=evaluate,
    resource_id=state_machine_arn,
    remediation_text=(
        "Turn on logging for the state machine (UpdateStateMachine loggingConfiguration) to a log group of your "
        "choice; its execution role needs the CloudWatch Logs delivery permissions."
    ),
    config_triggers=(ConfigTrigger("AWS::StepFunctions::StateMachine", "ARN || resourceId"),),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            "states.amazonaws.com",
            ("CreateStateMachine", "UpdateStateMachine"),
            "responseElements.stateMachineArn || requestParameters.stateMachineArn",
        ),
    ),
    read_actions=("states:ListStateMachines", "states:DescribeStateMachine"),
    default_mode=Mode.OFF,
    fix_description="none: the log group and the execution role's delivery permissions are for a person to choose.",
)
