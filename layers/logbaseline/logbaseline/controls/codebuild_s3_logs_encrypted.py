"""A CodeBuild project that sends its build logs to S3 keeps them encrypted there."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls.base import SEC04_BP01, Control
from logbaseline.controls.codebuild_project_logging_enabled import BATCH, project_arn, project_name
from logbaseline.controls.codebuild_project_logging_enabled import CONTROL as PROJECT_LOGGING
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, not_applicable, passed


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    codebuild = clients("codebuild")
    if scope.resource_id:
        names = [project_name(scope.resource_id)]
    else:
        names = [n for page in codebuild.get_paginator("list_projects").paginate() for n in page["projects"]]
    resources = []
    for start in range(0, len(names), BATCH):
        for project in codebuild.batch_get_projects(names=names[start : start + BATCH])["projects"]:
            s3 = (project.get("logsConfig") or {}).get("s3Logs") or {}
            state = {
                "name": project["name"],
                "s3_logs": s3.get("status") == "ENABLED",
                "location": s3.get("location", ""),
                # CodeBuild encrypts S3 logs unless the project turns it off (S3LogsConfig.encryptionDisabled).
                "encryption_disabled": bool(s3.get("encryptionDisabled")),
            }
            resources.append(Resource(scope.account_id, scope.region, project["arn"], state))
    return resources  # a project named but gone is in projectsNotFound, not here


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    if not state["s3_logs"]:
        return not_applicable(f"project {state['name']} sends no build logs to S3")
    if state["encryption_disabled"]:
        return failed(f"project {state['name']} writes its build logs to S3 {state['location']} unencrypted")
    return passed(f"project {state['name']} writes its build logs to S3 {state['location']} encrypted")


CONTROL = Control(
    id="codebuild_s3_logs_encrypted",
    title="CodeBuild projects encrypt the build logs they send to S3",
    description=(
        "A CodeBuild project whose build logs go to S3 leaves their encryption on (S3 logs' encryptionDisabled is "
        "not true); a project without S3 logs is not applicable. Build logs can hold what a build printed: "
        "unencrypted logs are unprotected logs."
    ),
    severity=Severity.MEDIUM,
    resource_type="AwsCodeBuildProject",
    related_requirements=(SEC04_BP01, "Security Hub CodeBuild.3"),
    collect=collect,
    evaluate=evaluate,
    resource_id=project_arn,
    remediation_text=(
        "Turn encryption of the project's S3 logs back on (UpdateProject logsConfig.s3Logs.encryptionDisabled "
        "false, or clear 'Disable S3 log encryption' in the console's Logs section)."
    ),
    config_triggers=PROJECT_LOGGING.config_triggers,
    cloudtrail_triggers=PROJECT_LOGGING.cloudtrail_triggers,
    read_actions=PROJECT_LOGGING.read_actions,
    default_mode=Mode.OFF,
    fix_description="none: the project's configuration is its owners'; the finding gives the one setting to change.",
)
