"""API Gateway stages of a region for the API Gateway controls: REST API stages (apigateway) and HTTP and WebSocket
API stages (apigatewayv2). A stage is named by its ARN, arn:<partition>:apigateway:<region>::/restapis/<id>/stages/
<name> (or /apis/ for HTTP and WebSocket APIs), as AWS Config names it; an event's trigger may give the path alone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from logbaseline.aws import Clients, partition
from logbaseline.models import Scope

API_EVENT_SOURCE = "apigateway.amazonaws.com"  # REST and V2 calls alike
REST, HTTP, WEBSOCKET = "REST", "HTTP", "WEBSOCKET"
ASFF_TYPES = {REST: "AwsApiGatewayStage", HTTP: "AwsApiGatewayV2Stage", WEBSOCKET: "AwsApiGatewayV2Stage"}
STAGE_PATH = re.compile(r"(?:arn:[^:]+:apigateway:[^:]*::)?/(restapis|apis)/([^/]+)/stages/([^/]+)")
# The JMESPath of a stage in the stage calls' requestParameters: REST calls name restApiId, V2 calls apiId.
# `&&` first: join() refuses a missing member, and an event that names no stage re-judges the region.
_REST = "requestParameters.restApiId && requestParameters.stageName"
_V2 = "requestParameters.apiId && requestParameters.stageName"
STAGE_IN_REQUEST = (
    f"({_REST} && join('', ['/restapis/', requestParameters.restApiId, '/stages/', requestParameters.stageName]))"
    f" || ({_V2} && join('', ['/apis/', requestParameters.apiId, '/stages/', requestParameters.stageName]))"
)


def stage_arn(region: str, path: str) -> str:
    return f"arn:{partition(region)}:apigateway:{region}::{path}"


def stage_id(scope: Scope) -> str:
    """The finding's resource id: the stage ARN, from an ARN or a path."""
    match = STAGE_PATH.fullmatch(scope.resource_id or "")
    if not match:
        return scope.resource_id or ""
    return stage_arn(scope.region, f"/{match[1]}/{match[2]}/stages/{match[3]}")


def cloudwatch_role(clients: Clients) -> str:
    """The account's CloudWatch Logs role for API Gateway (REST and WebSocket execution logs need it)."""
    return clients("apigateway").get_account().get("cloudwatchRoleArn") or ""


def _rest(clients: Clients, api_id: str | None, stage: str | None) -> Iterator[dict[str, Any]]:
    apigateway = clients("apigateway")
    if api_id:
        try:
            name = apigateway.get_rest_api(restApiId=api_id)["name"]
            found = [apigateway.get_stage(restApiId=api_id, stageName=stage)] if stage else []
        except apigateway.exceptions.NotFoundException:
            return  # deleted since the event
        apis = [(api_id, name, found)]
    else:
        pages = apigateway.get_paginator("get_rest_apis").paginate()
        apis = [(a["id"], a["name"], None) for page in pages for a in page.get("items", [])]
    for rest_api_id, name, given in apis:
        for item in given if given is not None else apigateway.get_stages(restApiId=rest_api_id).get("item", []):
            yield {"kind": REST, "api_id": rest_api_id, "api_name": name, "stage": item, "collection": "restapis"}


def _v2(clients: Clients, api_id: str | None, stage: str | None) -> Iterator[dict[str, Any]]:
    apigatewayv2 = clients("apigatewayv2")
    if api_id:
        try:
            api = apigatewayv2.get_api(ApiId=api_id)
            found = [apigatewayv2.get_stage(ApiId=api_id, StageName=stage)] if stage else []
        except apigatewayv2.exceptions.NotFoundException:
            return
        apis = [(api, found)]
    else:
        apis = [(a, None) for page in apigatewayv2.get_paginator("get_apis").paginate() for a in page.get("Items", [])]
    for api, given in apis:
        if given is None:
            pages = apigatewayv2.get_paginator("get_stages").paginate(ApiId=api["ApiId"])
            given = [item for page in pages for item in page.get("Items", [])]
        for item in given:
            kind = WEBSOCKET if api.get("ProtocolType") == WEBSOCKET else HTTP
            yield {"kind": kind, "api_id": api["ApiId"], "api_name": api["Name"], "stage": item, "collection": "apis"}


def stages(clients: Clients, scope: Scope, kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    """Each stage of the given kinds, or only the scope's stage: kind, api_id, api_name, arn, name, stage (as read)."""
    match = STAGE_PATH.fullmatch(scope.resource_id or "")
    if scope.resource_id and not match:
        return []  # not a stage: nothing of this control's to judge
    collection, api_id, stage = (match[1], match[2], match[3]) if match else (None, None, None)
    found: list[dict[str, Any]] = []
    if REST in kinds and collection in (None, "restapis"):
        found += _rest(clients, api_id, stage)
    if {HTTP, WEBSOCKET} & set(kinds) and collection in (None, "apis"):
        found += _v2(clients, api_id, stage)
    for item in found:
        item["name"] = item["stage"].get("stageName") or item["stage"].get("StageName")
        item["arn"] = stage_arn(scope.region, f"/{item.pop('collection')}/{item['api_id']}/stages/{item['name']}")
    return [item for item in found if item["kind"] in kinds]
