"""A REST, HTTP or WebSocket API stage writes access logs (who called which route, from where, with what result)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls._api_stages import (
    API_EVENT_SOURCE,
    ASFF_TYPES,
    HTTP,
    REST,
    STAGE_IN_REQUEST,
    WEBSOCKET,
    stage_id,
    stages,
)
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed


def destination(stage: Mapping[str, Any]) -> str:
    """The access-log destination: REST stages say accessLogSettings.destinationArn, V2 stages AccessLogSettings."""
    settings = stage.get("accessLogSettings") or stage.get("AccessLogSettings") or {}
    return settings.get("destinationArn") or settings.get("DestinationArn") or ""


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    resources = []
    for item in stages(clients, scope, (REST, HTTP, WEBSOCKET)):
        state = {"kind": item["kind"], "api": item["api_name"], "stage": item["name"]}
        resources.append(
            Resource(
                scope.account_id,
                scope.region,
                item["arn"],
                state | {"destination": destination(item["stage"])},
                tags=item["stage"].get("tags") or item["stage"].get("Tags") or {},
                resource_type=ASFF_TYPES[item["kind"]],
            )
        )
    return resources


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    label = f"{state['kind']} API {state['api']} stage {state['stage']}"
    if state["destination"]:
        return passed(f"{label} writes access logs to {state['destination']}")
    return failed(f"{label} has no access logging: who called it, and with what result, is not logged")


CONTROL = Control(
    id="apigateway_access_logging_enabled",
    title="API Gateway stages write access logs",
    description=(
        "Every stage of a REST, HTTP or WebSocket API has access logging to a CloudWatch Logs log group or (REST) a "
        "Firehose stream. The destination's retention is judged by logs_log_group_retention_bounded."
    ),
    severity=Severity.MEDIUM,
    resource_type=ASFF_TYPES[REST],
    related_requirements=(SEC04_BP01, "Security Hub APIGateway.9"),
    collect=collect,
    evaluate=evaluate,
    resource_id=stage_id,
    remediation_text=(
        "Turn on access logging for the stage (UpdateStage accessLogSettings for REST, AccessLogSettings for HTTP "
        "and WebSocket APIs) to a log group of your choice, with a format that includes $context.requestId."
    ),
    config_triggers=(
        ConfigTrigger("AWS::ApiGateway::Stage", "ARN || resourceId"),
        ConfigTrigger("AWS::ApiGatewayV2::Stage", "ARN || resourceId"),
    ),
    cloudtrail_triggers=(
        CloudTrailTrigger(API_EVENT_SOURCE, ("CreateStage", "UpdateStage", "DeleteStage"), STAGE_IN_REQUEST),
    ),
    read_actions=("apigateway:GET",),
    default_mode=Mode.OFF,
    fix_description="none: the log group and the log format are for a person to choose.",
)
