"""A CodeBuild project logs its builds to CloudWatch Logs, to S3, or to both."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients, partition
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

BATCH = 100  # BatchGetProjects takes at most 100 names


def project_name(value: str) -> str:
    """The project's name from its name or ARN (arn:...:codebuild:region:account:project/NAME)."""
    return value.split(":project/", 1)[1] if value.startswith("arn:") else value


def project_arn(scope: Scope) -> str:
    name = project_name(scope.resource_id or "")
    return f"arn:{partition(scope.region)}:codebuild:{scope.region}:{scope.account_id}:project/{name}"


def destinations(logs: Mapping[str, Any]) -> list[str]:
    """Where the builds' logs go. CodeBuild's default, when the project sets no logsConfig, is CloudWatch Logs
    under /aws/codebuild/<project> (CodeBuild API reference, CloudWatchLogsConfig)."""
    found = []
    cloudwatch = logs.get("cloudWatchLogs") or {"status": "ENABLED"}
    if cloudwatch.get("status") == "ENABLED":
        found.append(f"CloudWatch Logs {cloudwatch.get('groupName') or 'log group /aws/codebuild/<project>'}")
    s3 = logs.get("s3Logs") or {}
    if s3.get("status") == "ENABLED":
        found.append(f"S3 {s3.get('location') or '(no location)'}")
    return found


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    codebuild = clients("codebuild")
    if scope.resource_id:
        names = [project_name(scope.resource_id)]
    else:
        names = [n for page in codebuild.get_paginator("list_projects").paginate() for n in page["projects"]]
    resources = []
    for start in range(0, len(names), BATCH):
        for project in codebuild.batch_get_projects(names=names[start : start + BATCH])["projects"]:
            state = {"name": project["name"], "destinations": destinations(project.get("logsConfig") or {})}
            resources.append(Resource(scope.account_id, scope.region, project["arn"], state))
    return resources  # a project named but gone is in projectsNotFound, not here


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    if state["destinations"]:
        return passed(f"project {state['name']} logs its builds to {' and '.join(state['destinations'])}")
    return failed(f"project {state['name']} has CloudWatch Logs and S3 logs DISABLED: its builds are not logged")


CONTROL = Control(
    id="codebuild_project_logging_enabled",
    title="CodeBuild projects log their builds",
    description=(
        "A CodeBuild project sends its build logs to CloudWatch Logs or to S3: it fails when every log "
        "configuration it has is DISABLED (a project that sets none logs to CloudWatch Logs, CodeBuild's default)."
    ),
    severity=Severity.MEDIUM,
    resource_type="AwsCodeBuildProject",
    related_requirements=(SEC04_BP01, "Security Hub CodeBuild.4"),
    collect=collect,
    evaluate=evaluate,
    resource_id=project_arn,
    remediation_text=(
        "Turn on CloudWatch Logs or S3 logs for the project (UpdateProject logsConfig, or the console's "
        "Logs section); the project's service role needs logs:CreateLogStream and logs:PutLogEvents on the log "
        "group, or s3:PutObject on the bucket."
    ),
    config_triggers=(ConfigTrigger("AWS::CodeBuild::Project", "ARN || resourceName"),),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            "codebuild.amazonaws.com",
            ("CreateProject", "UpdateProject"),
            "responseElements.project.arn || requestParameters.name",
        ),
    ),
    read_actions=("codebuild:ListProjects", "codebuild:BatchGetProjects"),
    default_mode=Mode.OFF,
    fix_description=(
        "none: turning logs on needs the project's service role to be allowed to write them, a person's change."
    ),
)
