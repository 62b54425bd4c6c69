"""An AppSync GraphQL API has field-level logging to CloudWatch Logs: its resolvers' errors (at least) are logged."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients, partition
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

EVENT_SOURCE = "appsync.amazonaws.com"
# LogConfig.fieldLogLevel: NONE logs no field; each other level logs at least the fields in error.
LOGGING = ("ERROR", "INFO", "DEBUG", "ALL")


def api_id(resource_id: str) -> str:
    return resource_id.rsplit("/", 1)[-1]  # a1b2c3 or arn:aws:appsync:region:account:apis/a1b2c3


def api_arn(scope: Scope) -> str:
    identifier = api_id(scope.resource_id or "")
    return f"arn:{partition(scope.region)}:appsync:{scope.region}:{scope.account_id}:apis/{identifier}"


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    appsync = clients("appsync")
    if scope.resource_id:
        try:
            apis = [appsync.get_graphql_api(apiId=api_id(scope.resource_id))["graphqlApi"]]
        except appsync.exceptions.NotFoundException:
            return []  # deleted since the event
    else:
        pages = appsync.get_paginator("list_graphql_apis").paginate()
        apis = [api for page in pages for api in page["graphqlApis"]]
    resources = []
    for api in apis:
        log_config = api.get("logConfig") or {}
        state = {
            "name": api["name"],
            "level": log_config.get("fieldLogLevel") or "NONE",
            "role": log_config.get("cloudWatchLogsRoleArn") or "",
        }
        arn = api_arn(Scope(scope.account_id, scope.region, api["apiId"]))
        resources.append(Resource(scope.account_id, scope.region, arn, state, tags=api.get("tags") or {}))
    return resources


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    label = f"GraphQL API {state['name']}"
    if state["level"] in LOGGING:  # AWS requires the role with any log configuration
        return passed(f"{label} logs its fields at {state['level']} to CloudWatch Logs (role {state['role']})")
    return failed(f"{label} has field-level logging {state['level']}: its resolvers' errors are not logged")


CONTROL = Control(
    id="appsync_field_logging_enabled",
    title="AppSync GraphQL APIs have field-level logging",
    description=(
        "A GraphQL API's field resolver log level is ERROR, INFO, DEBUG or ALL, each of which logs at least the "
        "fields in error to CloudWatch Logs (NONE, or no log configuration, fails); Security Hub's default passes "
        "ERROR and ALL."
    ),
    severity=Severity.MEDIUM,
    resource_type="AwsAppSyncGraphQlApi",
    related_requirements=(SEC04_BP01, "Security Hub AppSync.2"),
    collect=collect,
    evaluate=evaluate,
    resource_id=api_arn,
    remediation_text=(
        "Set the API's logging (UpdateGraphqlApi logConfig): fieldLogLevel ERROR (or ALL), and cloudWatchLogsRoleArn "
        "a role that AppSync assumes with logs:CreateLogGroup, CreateLogStream and PutLogEvents; the logs go to "
        "/aws/appsync/apis/<api id>."
    ),
    config_triggers=(ConfigTrigger("AWS::AppSync::GraphQLApi", "ARN || resourceId"),),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            EVENT_SOURCE,
            ("CreateGraphqlApi", "UpdateGraphqlApi"),
            "responseElements.graphqlApi.arn || requestParameters.apiId",
        ),
    ),
    read_actions=("appsync:ListGraphqlApis", "appsync:GetGraphqlApi"),
    default_mode=Mode.OFF,
    fix_description="none: the role AppSync writes with, and the cost of its log volume, are for a person to choose.",
)
