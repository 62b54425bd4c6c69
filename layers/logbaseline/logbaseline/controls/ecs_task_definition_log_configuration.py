"""Every container of an ECS task definition's latest active revision has a log configuration, so that what the
containers write is kept somewhere (CloudWatch Logs, FireLens, Splunk...) rather than lost with the task."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients, partition
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed


def family_of(value: str) -> str:
    """The family from a family name, family:revision, or a task definition ARN (…:task-definition/family:rev)."""
    return value.rsplit("task-definition/", 1)[-1].split(":", 1)[0]


def family_arn(scope: Scope) -> str:
    """The finding names the family: it judges whichever revision is the latest active one."""
    family = family_of(scope.resource_id or "")
    return f"arn:{partition(scope.region)}:ecs:{scope.region}:{scope.account_id}:task-definition/{family}"


def revision_of(arn: str) -> int:
    return int(arn.rsplit(":", 1)[1])


def latest_active(clients: Clients, family: str | None) -> dict[str, str]:
    """family -> the ARN of its highest ACTIVE revision. AWS's DescribeTaskDefinition(family) means the same,
    but moto answers it with a deregistered revision (docs/emulator-gaps.md), and familyPrefix is a prefix."""
    query: dict[str, Any] = {"status": "ACTIVE"} | ({"familyPrefix": family} if family else {})
    latest: dict[str, str] = {}
    for page in clients("ecs").get_paginator("list_task_definitions").paginate(**query):
        for arn in page["taskDefinitionArns"]:
            found = family_of(arn)
            if (family is None or found == family) and revision_of(arn) > revision_of(latest.get(found, ":0")):
                latest[found] = arn
    return latest


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    ecs = clients("ecs")
    named = family_of(scope.resource_id) if scope.resource_id else None
    resources = []
    for family, arn in sorted(latest_active(clients, named).items()):
        definition = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
        containers = {
            c["name"]: (c.get("logConfiguration") or {}).get("logDriver", "")
            for c in definition.get("containerDefinitions") or []
        }
        state = {"family": family, "revision": definition["revision"], "containers": containers}
        resources.append(
            Resource(scope.account_id, scope.region, family_arn(Scope(scope.account_id, scope.region, family)), state)
        )
    return resources  # a family with no active revision left is gone: its finding is archived


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    label = f"task definition {state['family']}:{state['revision']} (latest active revision)"
    unlogged = sorted(name for name, driver in state["containers"].items() if not driver)
    if unlogged:
        return failed(f"{label}: container(s) {', '.join(unlogged)} have no logConfiguration: their output is lost")
    drivers = sorted(set(state["containers"].values()))
    return passed(f"{label}: every container has a logConfiguration ({', '.join(drivers)})")


CONTROL = Control(
    id="ecs_task_definition_log_configuration",
    title="ECS task definitions give every container a log configuration",
    description=(
        "The latest active revision of each ECS task definition family sets a logConfiguration on every container "
        "definition (any log driver); the finding names the family, and the containers without one."
    ),
    severity=Severity.HIGH,
    resource_type="AwsEcsTaskDefinition",
    related_requirements=(SEC04_BP01, "Security Hub ECS.9"),
    collect=collect,
    evaluate=evaluate,
    resource_id=family_arn,
    remediation_text=(
        "Register a new revision of the task definition with a logConfiguration for each container (for example "
        "the awslogs driver to a log group with a bounded retention), then update the services that use it; the "
        "task execution role needs logs:CreateLogStream and logs:PutLogEvents."
    ),
    config_triggers=(ConfigTrigger("AWS::ECS::TaskDefinition", "ARN || resourceId"),),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            "ecs.amazonaws.com",
            ("RegisterTaskDefinition", "DeregisterTaskDefinition"),
            "responseElements.taskDefinition.taskDefinitionArn || requestParameters.family"
            " || requestParameters.taskDefinition",
        ),
    ),
    read_actions=("ecs:ListTaskDefinitions", "ecs:DescribeTaskDefinition"),
    default_mode=Mode.OFF,
    fix_description="none: a log configuration needs a new revision, and the services moved to it, a person's change.",
)
