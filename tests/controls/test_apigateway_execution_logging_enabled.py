"""apigateway_execution_logging_enabled: the levels read, the pure verdict, a raise-only fix, round trips on moto."""

from __future__ import annotations

import json

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from logbaseline.aws import Clients
from logbaseline.controls.apigateway_execution_logging_enabled import CONTROL, gaps, levels
from logbaseline.controls.base import Change, Changes, FixFailed
from logbaseline.engine import FixRequest
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import REGION, caller, findings_by_resource, load_event, make_service

SAMPLE_REST = "h2k8w4n6q1"  # the REST API of the sample events
ROLE = "arn:aws:iam::123456789012:role/apigateway-logs"
WIDE = "default route"
NO_ROLE = "CloudWatch Logs role ARN must be set in account settings to enable logging"  # API Gateway's refusal


def stage(stage_levels=None, kind="REST", role=ROLE) -> Resource:
    state = {"kind": kind, "api": "orders-api", "stage": "prod", "api_id": SAMPLE_REST}
    state |= {"levels": dict(stage_levels or {}), "cloudwatch_role": role}
    return Resource("123456789012", REGION, f"arn:aws:apigateway:{REGION}::/restapis/{SAMPLE_REST}/stages/prod", state)


def test_levels_read_from_rest_method_settings_and_websocket_route_settings():
    rest = {"kind": "REST", "stage": {"methodSettings": {"*/*": {"loggingLevel": "INFO"}, "~1a/GET": {}}}}
    assert levels(rest) == {"*/*": "INFO", "~1a/GET": "OFF"}  # an override without a level logs nothing
    assert levels({"kind": "REST", "stage": {}}) == {}
    socket = {"DefaultRouteSettings": {"LoggingLevel": "ERROR"}, "RouteSettings": {"$connect": {"LoggingLevel": "OFF"}}}
    assert levels({"kind": "WEBSOCKET", "stage": socket}) == {WIDE: "ERROR", "$connect": "OFF"}
    assert levels({"kind": "WEBSOCKET", "stage": {"RouteSettings": {"send": {}}}}) == {WIDE: "OFF"}


@pytest.mark.parametrize(
    ("resource", "status", "fixable", "phrase"),
    [
        (stage({"*/*": "ERROR"}), Status.PASSED, False, "logs executions at ERROR"),
        (stage({"*/*": "INFO", "~1a/GET": "ERROR"}), Status.PASSED, False, "logs executions at INFO"),
        (stage({}), Status.FAILED, True, "does not log executions for */*"),  # no method settings at all
        (stage({"*/*": "OFF"}), Status.FAILED, True, "for */*"),
        (stage({"*/*": "INFO", "~1b/POST": "OFF", "~1a/GET": "OFF"}), Status.FAILED, True, "for ~1a/GET, ~1b/POST"),
        (stage({"*/*": "OFF"}, role=""), Status.FAILED, False, "CloudWatch Logs role, which is not set"),
        (stage({WIDE: "ERROR"}, kind="WEBSOCKET"), Status.PASSED, False, "WEBSOCKET API orders-api stage prod logs"),
        (stage({WIDE: "OFF"}, kind="WEBSOCKET"), Status.FAILED, False, "no fix for WebSocket APIs"),
        (stage({WIDE: "INFO", "$connect": "OFF"}, kind="WEBSOCKET"), Status.FAILED, False, "for $connect"),
    ],
)
def test_evaluate(resource, status, fixable, phrase):
    """Every method or route must log at ERROR or INFO; only a REST stage with the account's role is fixable."""
    verdict = CONTROL.evaluate(resource, {})
    assert (verdict.status, verdict.fixable) == (status, fixable)
    assert phrase in verdict.reason


@pytest.mark.parametrize(
    ("stage_levels", "raised"),
    [
        ({}, ["*/*"]),
        ({"*/*": "OFF", "~1a/GET": "INFO"}, ["*/*"]),
        ({"*/*": "INFO", "~1a/GET": "OFF", "~1b/GET": "ERROR"}, ["~1a/GET"]),  # INFO stays INFO
    ],
)
def test_remediate_raises_only_what_logs_nothing(stage_levels, raised):
    changes = Changes(Clients(REGION), dry_run=True)
    CONTROL.remediate(changes, stage(stage_levels), {})
    operations = [{"op": "replace", "path": f"/{key}/logging/loglevel", "value": "ERROR"} for key in raised]
    parameters = {"restApiId": SAMPLE_REST, "stageName": "prod", "patchOperations": operations}
    assert changes.made == [Change("apigateway", "update_stage", REGION, parameters)]
    assert gaps(stage(stage_levels).state) == raised


@pytest.mark.parametrize(
    "resource",
    [stage({"*/*": "ERROR"}), stage({}, role=""), stage({WIDE: "OFF"}, kind="WEBSOCKET")],
    ids=["nothing-missing", "no-account-role", "websocket"],
)
def test_remediate_refuses(resource):
    changes = Changes(Clients(REGION), dry_run=True)
    with pytest.raises(FixFailed):
        CONTROL.remediate(changes, resource, {})
    assert changes.made == []


def test_metadata():
    assert CONTROL.default_mode is Mode.DRY_RUN and CONTROL.write_actions == ("apigateway:PATCH",)
    assert "Security Hub APIGateway.1" in CONTROL.related_requirements


# --- round trips on the moto server -------------------------------------------------------


def rest_stage(aws, name="orders-api") -> tuple[str, str]:
    """A deployed REST API with one GET method and a stage prod with no method settings: (api id, stage ARN)."""
    apigateway = aws("apigateway")
    api = apigateway.create_rest_api(name=name)["id"]
    root = apigateway.get_resources(restApiId=api)["items"][0]["id"]
    apigateway.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigateway.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    apigateway.create_deployment(restApiId=api, stageName="prod")
    return api, f"arn:aws:apigateway:{REGION}::/restapis/{api}/stages/prod"


def set_level(aws, api: str, key: str, level: str) -> None:
    operation = {"op": "replace", "path": f"/{key}/logging/loglevel", "value": level}
    aws("apigateway").update_stage(restApiId=api, stageName="prod", patchOperations=[operation])


def set_role(aws) -> None:
    operation = {"op": "replace", "path": "/cloudwatchRoleArn", "value": ROLE}
    aws("apigateway").update_account(patchOperations=[operation])


def sample(relative: str, api: str) -> dict:
    return json.loads(json.dumps(load_event(relative)).replace(SAMPLE_REST, api))


def mine(report):
    return [o for o in report.outcomes if o.control.id == CONTROL.id]


def service_with_queue(aws, account_id):
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=auto")
    service.fix_queue_url = aws("sqs").create_queue(QueueName="fixes")["QueueUrl"]
    return service


def stage_levels(aws, api: str) -> dict[str, str]:
    settings = aws("apigateway").get_stage(restApiId=api, stageName="prod")["methodSettings"]
    return {key: value["loggingLevel"] for key, value in settings.items()}


@pytest.mark.parametrize(
    ("event", "before", "after"),
    [
        ("cloudtrail/apigateway-UpdateStage.json", {}, {"*/*": "ERROR"}),
        ("config/AWS-ApiGateway-Stage.json", {"*/*": "OFF"}, {"*/*": "ERROR"}),
        (
            "cloudtrail/apigateway-UpdateStage.json",
            {"*/*": "INFO", "~1/GET": "OFF"},
            {"*/*": "INFO", "~1/GET": "ERROR"},
        ),
    ],
)
def test_round_trip_unlogged_methods_are_raised_to_error(aws, account_id, event, before, after):
    """Event -> FAILED -> fix -> every method logs, INFO kept -> PASSED, verified; a repeat changes nothing."""
    api, arn = rest_stage(aws)
    for key, level in before.items():
        set_level(aws, api, key, level)
    set_role(aws)
    service = service_with_queue(aws, account_id)
    event_body = sample(event, api)

    report = service.evaluate_event(event_body)
    [outcome] = mine(report)
    assert (outcome.resource_id, outcome.verdict.status, outcome.verdict.fixable) == (arn, Status.FAILED, True)
    finding = findings_by_resource(aws)[(CONTROL.id, arn)]
    assert finding["Compliance"]["Status"] == "FAILED" and finding["Resources"][0]["Type"] == "AwsApiGatewayStage"
    request = FixRequest(CONTROL.id, account_id, REGION, arn, event_body["id"], caller(event_body))
    assert report.fixes_requested == [request]

    [fixed] = service.fix(request)
    assert fixed.fix["Outcome"] == "verified" and stage_levels(aws, api) == after
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["Compliance"]["Status"] == "PASSED"
    [again] = service.fix(request)
    assert again.fix is None and again.verdict.status is Status.PASSED
    assert service.evaluate_event(event_body).fixes_requested == []


def refuse_logging_without_role(monkeypatch) -> list[dict]:
    """AWS refuses a stage logging level while the account has no CloudWatch Logs role; moto accepts it
    (docs/emulator-gaps.md). This double answers as AWS does, and notes each UpdateStage that reached it."""
    original, reached = BaseClient._make_api_call, []

    def make_api_call(client, operation, params):
        if client.meta.service_model.service_name == "apigateway" and operation == "UpdateStage":
            reached.append(params)
            role = original(client, "GetAccount", {}).get("cloudwatchRoleArn")
            if not role and any(p["path"].endswith("/logging/loglevel") for p in params["patchOperations"]):
                raise ClientError({"Error": {"Code": "BadRequestException", "Message": NO_ROLE}}, operation)
        return original(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", make_api_call)
    return reached


def test_round_trip_without_the_account_role_no_fix_is_requested_or_tried(aws, account_id, monkeypatch):
    """No CloudWatch Logs role: FAILED, not fixable, and a forced fix request is refused before any call."""
    reached = refuse_logging_without_role(monkeypatch)
    api, arn = rest_stage(aws)
    service = service_with_queue(aws, account_id)
    event_body = sample("cloudtrail/apigateway-UpdateStage.json", api)
    report = service.evaluate_event(event_body)
    [outcome] = mine(report)
    assert (outcome.verdict.status, outcome.verdict.fixable) == (Status.FAILED, False)
    assert "CloudWatch Logs role" in outcome.verdict.reason and report.fixes_requested == []
    [tried] = service.fix(FixRequest(CONTROL.id, account_id, REGION, arn, event_body["id"], caller(event_body)))
    assert tried.verdict.status is Status.FAILED and reached == [] and stage_levels(aws, api) == {}


def test_websocket_stages_are_judged_and_http_stages_are_not(aws, account_id):
    v2 = aws("apigatewayv2")
    socket = v2.create_api(Name="chat", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")
    v2.create_stage(ApiId=socket["ApiId"], StageName="live")  # moto's default route logs OFF, as AWS's
    http = v2.create_api(Name="payments", ProtocolType="HTTP")
    v2.create_stage(ApiId=http["ApiId"], StageName="prod")
    found = CONTROL.collect(aws, Scope(account_id, REGION))
    assert [(r.resource_id, r.resource_type, r.state["levels"]) for r in found] == [
        (f"arn:aws:apigateway:{REGION}::/apis/{socket['ApiId']}/stages/live", "AwsApiGatewayV2Stage", {WIDE: "OFF"})
    ]
    assert not CONTROL.evaluate(found[0], {}).fixable
    assert CONTROL.collect(aws, Scope(account_id, REGION, f"/apis/{http['ApiId']}/stages/prod")) == []


def test_deleted_stage_is_archived(aws, account_id):
    api, arn = rest_stage(aws)
    service = make_service(account_id)
    service.evaluate_event(sample("cloudtrail/apigateway-UpdateStage.json", api))
    aws("apigateway").delete_stage(restApiId=api, stageName="prod")
    report = service.evaluate_event(sample("cloudtrail/apigateway-DeleteStage.json", api))
    assert [(o.present, o.resource_id) for o in mine(report)] == [(False, arn)]
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["RecordState"] == "ARCHIVED"


def test_update_account_re_judges_every_stage_of_the_region(aws, account_id):
    """The role set: every REST stage of the region becomes fixable, from one UpdateAccount event."""
    first, second = rest_stage(aws), rest_stage(aws, "payments-api")
    set_role(aws)
    report = service_with_queue(aws, account_id).evaluate_event(load_event("cloudtrail/apigateway-UpdateAccount.json"))
    assert sorted((o.resource_id, o.verdict.fixable) for o in mine(report)) == sorted(
        [(first[1], True), (second[1], True)]
    )
