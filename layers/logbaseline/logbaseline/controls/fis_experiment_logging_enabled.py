"""An AWS FIS experiment template logs its experiments (which actions ran on which targets, and when) to CloudWatch
Logs or S3: the record of the faults a team injected on purpose."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients, partition
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed


def template_arn(scope: Scope) -> str:
    wanted = scope.resource_id or ""
    if wanted.startswith("arn:"):
        return wanted
    return f"arn:{partition(scope.region)}:fis:{scope.region}:{scope.account_id}:experiment-template/{wanted}"


def destinations(log_configuration: Mapping[str, Any]) -> list[str]:
    found = []
    if group := (log_configuration.get("cloudWatchLogsConfiguration") or {}).get("logGroupArn"):
        found.append(group)
    if bucket := (log_configuration.get("s3Configuration") or {}).get("bucketName"):
        prefix = (log_configuration.get("s3Configuration") or {}).get("prefix") or ""
        found.append(f"s3://{bucket}/{prefix}")
    return found


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    fis = clients("fis")
    if scope.resource_id:
        ids = [template_arn(scope).rsplit("/", 1)[-1]]
    else:
        pages = fis.get_paginator("list_experiment_templates").paginate()
        ids = [t["id"] for page in pages for t in page["experimentTemplates"]]
    resources = []
    for template_id in ids:
        try:
            template = fis.get_experiment_template(id=template_id)["experimentTemplate"]
        except fis.exceptions.ResourceNotFoundException:
            continue  # deleted since the event or the listing
        state = {
            "id": template["id"],
            "description": template.get("description") or "",
            "destinations": destinations(template.get("logConfiguration") or {}),
        }
        arn = template.get("arn") or template_arn(Scope(scope.account_id, scope.region, template["id"]))
        resources.append(Resource(scope.account_id, scope.region, arn, state, tags=template.get("tags") or {}))
    return resources


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    label = f"FIS experiment template {state['id']}" + (f" ({state['description']})" if state["description"] else "")
    if state["destinations"]:
        return passed(f"{label} logs its experiments to {', '.join(state['destinations'])}")
    return failed(f"{label} has no log configuration: the faults its experiments inject are not logged")


CONTROL = Control(
    id="fis_experiment_logging_enabled",
    title="AWS FIS experiment templates log their experiments",
    description=(
        "An experiment template has a log configuration, to a CloudWatch Logs log group or an S3 bucket, as AWS "
        "Config's fis-experiment-template-log-configuration-exists asks."
    ),
    severity=Severity.LOW,
    resource_type="Other",  # Security Hub documents no FIS type
    related_requirements=(SEC04_BP01,),  # the parity table names its AWS Config rule
    collect=collect,
    evaluate=evaluate,
    resource_id=template_arn,
    remediation_text=(
        "Add a log configuration to the template (UpdateExperimentTemplate logConfiguration, logSchemaVersion 2) "
        "with a log group or a bucket of your choice; the experiment role needs the log-delivery permissions."
    ),
    config_triggers=(ConfigTrigger("AWS::FIS::ExperimentTemplate", "resourceId"),),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            "fis.amazonaws.com",
            ("CreateExperimentTemplate", "UpdateExperimentTemplate"),
            "responseElements.experimentTemplate.id || requestParameters.id",
        ),
    ),
    read_actions=("fis:ListExperimentTemplates", "fis:GetExperimentTemplate"),
    default_mode=Mode.OFF,
    fix_description="none: the destination and the experiment role's delivery permissions are for a person to choose.",
)
