"""A REST or WebSocket API stage logs its executions (requests, integration and authorizer results) to CloudWatch
Logs at ERROR or INFO, for every method or route."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls._api_stages import (
    API_EVENT_SOURCE,
    ASFF_TYPES,
    REST,
    STAGE_IN_REQUEST,
    WEBSOCKET,
    cloudwatch_role,
    stage_id,
    stages,
)
from logbaseline.controls.base import SEC04_BP01, Changes, CloudTrailTrigger, ConfigTrigger, Control, FixFailed
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

LOGGING = ("ERROR", "INFO")
# REST's method-settings key for every method; for WebSocket, the stage's default route settings (not a route key).
STAGE_WIDE = {REST: "*/*", WEBSOCKET: "default route"}
FIX_LEVEL = "ERROR"  # the least that passes: INFO (full execution logs) is a team's choice, and is never lowered


def levels(item: Mapping[str, Any]) -> dict[str, str]:
    """Logging level by method (REST: '*/*' and overrides such as '~1pets/GET') or route (WebSocket)."""
    stage = item["stage"]
    if item["kind"] == REST:
        return {key: s.get("loggingLevel") or "OFF" for key, s in (stage.get("methodSettings") or {}).items()}
    found = {key: s["LoggingLevel"] for key, s in (stage.get("RouteSettings") or {}).items() if s.get("LoggingLevel")}
    return found | {STAGE_WIDE[WEBSOCKET]: (stage.get("DefaultRouteSettings") or {}).get("LoggingLevel") or "OFF"}


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    found = stages(clients, scope, (REST, WEBSOCKET))
    role = cloudwatch_role(clients) if found else ""
    return [
        Resource(
            scope.account_id,
            scope.region,
            item["arn"],
            {"kind": item["kind"], "api": item["api_name"], "stage": item["name"], "api_id": item["api_id"],
             "levels": levels(item), "cloudwatch_role": role},
            tags=item["stage"].get("tags") or item["stage"].get("Tags") or {},
            resource_type=ASFF_TYPES[item["kind"]],
        )
        for item in found
    ]  # fmt: skip


def gaps(state: Mapping[str, Any]) -> list[str]:
    """The stage-wide key when it does not log, then every method or route that overrides it with OFF."""
    wide = STAGE_WIDE[state["kind"]]
    unlogged = [wide] if state["levels"].get(wide, "OFF") not in LOGGING else []
    return unlogged + sorted(k for k, level in state["levels"].items() if k != wide and level not in LOGGING)


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    label = f"{state['kind']} API {state['api']} stage {state['stage']}"
    missing = gaps(state)
    if not missing:
        return passed(f"{label} logs executions at {state['levels'][STAGE_WIDE[state['kind']]]}")
    reason = f"{label} does not log executions for {', '.join(missing)}"
    if state["kind"] != REST:
        return failed(f"{reason}; set the logging level of its default route and routes (no fix for WebSocket APIs)")
    if not state["cloudwatch_role"]:
        return failed(f"{reason}; the fix needs the account's API Gateway CloudWatch Logs role, which is not set")
    return failed(reason, fixable=True)


def remediate(changes: Changes, resource: Resource, params: Mapping[str, Any]) -> None:
    state = resource.state
    missing = gaps(state)
    if not missing:
        raise FixFailed("refused: every method already logs executions")
    if state["kind"] != REST:
        raise FixFailed("refused: the fix covers REST API stages only")
    if not state["cloudwatch_role"]:
        raise FixFailed(
            "API Gateway refuses execution logging until the account's CloudWatch Logs role is set "
            "(UpdateAccount cloudwatchRoleArn); set it, then retry"
        )
    # Only the methods that log nothing are raised to ERROR: INFO stays INFO, every other setting is untouched.
    operations = [{"op": "replace", "path": f"/{key}/logging/loglevel", "value": FIX_LEVEL} for key in missing]
    changes.call(
        "apigateway", "update_stage", restApiId=state["api_id"], stageName=state["stage"], patchOperations=operations
    )


CONTROL = Control(
    id="apigateway_execution_logging_enabled",
    title="API Gateway REST and WebSocket stages log executions",
    description=(
        "Every method of a REST API stage, and every route of a WebSocket API stage, logs executions to "
        "CloudWatch Logs at ERROR or INFO. HTTP APIs have no execution logs (see apigateway_access_logging_enabled)."
    ),
    severity=Severity.MEDIUM,
    resource_type=ASFF_TYPES[REST],
    related_requirements=(SEC04_BP01, "Security Hub APIGateway.1"),
    collect=collect,
    evaluate=evaluate,
    resource_id=stage_id,
    remediation_text=(
        "Set the stage's logging level to ERROR or INFO for every method (REST) or route (WebSocket). API Gateway "
        "writes to API-Gateway-Execution-Logs_<api-id>/<stage>, created with no retention: "
        "logs_log_group_retention_bounded then sets it. The account's CloudWatch Logs role must be set first."
    ),
    config_triggers=(
        ConfigTrigger("AWS::ApiGateway::Stage", "ARN || resourceId"),
        ConfigTrigger("AWS::ApiGatewayV2::Stage", "ARN || resourceId"),
    ),
    cloudtrail_triggers=(
        CloudTrailTrigger(API_EVENT_SOURCE, ("CreateStage", "UpdateStage", "DeleteStage"), STAGE_IN_REQUEST),
        CloudTrailTrigger(API_EVENT_SOURCE, ("UpdateAccount",)),  # the CloudWatch Logs role: every stage's fix
    ),
    read_actions=("apigateway:GET",),
    write_actions=("apigateway:PATCH",),
    remediate=remediate,
    default_mode=Mode.DRY_RUN,
    fix_description=(
        "UpdateStage raising each REST method that logs nothing (OFF) to ERROR; never lowers INFO, changes nothing "
        "else, and refuses while the account's CloudWatch Logs role is unset."
    ),
)
