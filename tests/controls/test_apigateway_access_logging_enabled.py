"""apigateway_access_logging_enabled: the destination read from REST and V2 stages, the pure verdict, round trips."""

from __future__ import annotations

import json

import pytest
from logbaseline.controls._api_stages import HTTP, REST, WEBSOCKET, stage_id, stages
from logbaseline.controls.apigateway_access_logging_enabled import CONTROL, destination
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

SAMPLE_REST, SAMPLE_HTTP = "h2k8w4n6q1", "k7m2p9q4r1"  # the APIs of the sample events
GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:/apigateway/orders-access"


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        ({}, ""),
        ({"accessLogSettings": {"format": "$context.requestId"}}, ""),  # a format without a destination logs nothing
        ({"accessLogSettings": {"destinationArn": GROUP, "format": "$context.requestId"}}, GROUP),  # REST
        ({"AccessLogSettings": {"DestinationArn": GROUP, "Format": "$context.requestId"}}, GROUP),  # V2
    ],
)
def test_destination(stage, expected):
    assert destination(stage) == expected


@pytest.mark.parametrize(
    ("kind", "target", "status", "phrase"),
    [
        ("REST", "", Status.FAILED, "REST API orders stage prod has no access logging"),
        ("HTTP", "", Status.FAILED, "HTTP API orders stage prod has no access logging"),
        ("WEBSOCKET", "", Status.FAILED, "WEBSOCKET API orders stage prod has no access logging"),
        ("HTTP", GROUP, Status.PASSED, f"writes access logs to {GROUP}"),
    ],
)
def test_evaluate(kind, target, status, phrase):
    """A destination passes, none fails; there is no fix, so nothing is fixable."""
    state = {"kind": kind, "api": "orders", "stage": "prod", "destination": target}
    verdict = CONTROL.evaluate(Resource("123456789012", REGION, "arn", state), {})
    assert (verdict.status, verdict.fixable) == (status, False) and phrase in verdict.reason


@pytest.mark.parametrize(
    ("resource_id", "expected"),
    [
        ("/restapis/a1b2c3/stages/prod", f"arn:aws:apigateway:{REGION}::/restapis/a1b2c3/stages/prod"),
        *[(f"arn:aws:apigateway:{REGION}::/apis/d4e5f6/stages/$default",) * 2],
        ("a1b2c3", "a1b2c3"),  # not a stage: named as given, judged nowhere (collect finds no stage)
        (None, ""),
    ],
)  # fmt: skip
def test_a_stage_is_named_by_its_arn_from_a_path_or_an_arn_and_anything_else_as_given(resource_id, expected):
    assert stage_id(Scope("123456789012", REGION, resource_id)) == expected


def test_control_reads_only_and_stays_off():
    assert CONTROL.remediate is None and CONTROL.write_actions == () and CONTROL.default_mode is Mode.OFF
    assert "Security Hub APIGateway.9" in CONTROL.related_requirements


# --- round trips on the moto server -------------------------------------------------------


def rest_stage(aws) -> str:
    apigateway = aws("apigateway")
    api = apigateway.create_rest_api(name="orders-api")["id"]
    root = apigateway.get_resources(restApiId=api)["items"][0]["id"]
    apigateway.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigateway.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    apigateway.create_deployment(restApiId=api, stageName="prod")
    return api


def sample(relative: str, replacements: dict[str, str]) -> dict:
    text = json.dumps(load_event(relative))
    for old, new in replacements.items():
        text = text.replace(old, new)
    return json.loads(text)


def mine(report):
    return [o for o in report.outcomes if o.control.id == CONTROL.id]


def test_round_trip_rest_stage_access_logging_on_and_removed(aws, account_id):
    """UpdateStage -> FAILED, no fix; access logging on -> PASSED; removed -> FAILED again."""
    api = rest_stage(aws)
    arn = f"arn:aws:apigateway:{REGION}::/restapis/{api}/stages/prod"
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=auto")  # ignored: no fix
    event = sample("cloudtrail/apigateway-UpdateStage.json", {SAMPLE_REST: api})
    report = service.evaluate_event(event)
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(arn, Status.FAILED)]
    finding = findings_by_resource(aws)[(CONTROL.id, arn)]
    assert finding["Compliance"]["Status"] == "FAILED" and finding["Resources"][0]["Type"] == "AwsApiGatewayStage"
    assert [r for r in report.fixes_requested if r.control_id == CONTROL.id] == []

    operations = [
        {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": GROUP},
        {"op": "replace", "path": "/accessLogSettings/format", "value": "$context.requestId"},
    ]
    aws("apigateway").update_stage(restApiId=api, stageName="prod", patchOperations=operations)
    assert [o.verdict.status for o in mine(service.evaluate_event(event))] == [Status.PASSED]
    assert GROUP in findings_by_resource(aws)[(CONTROL.id, arn)]["ProductFields"]["logbaseline/Reason"]

    remove = [{"op": "remove", "path": "/accessLogSettings"}]
    aws("apigateway").update_stage(restApiId=api, stageName="prod", patchOperations=remove)
    assert [o.verdict.status for o in mine(service.evaluate_event(event))] == [Status.FAILED]


def test_round_trip_http_stage_from_create_stage_and_config(aws, account_id):
    """An HTTP API stage created without access logs fails; one created with them passes (Config item)."""
    v2 = aws("apigatewayv2")
    api = v2.create_api(Name="payments-api", ProtocolType="HTTP")["ApiId"]
    v2.create_stage(ApiId=api, StageName="prod")
    arn = f"arn:aws:apigateway:{REGION}::/apis/{api}/stages/prod"
    service = make_service(account_id)
    report = service.evaluate_event(sample("cloudtrail/apigateway-CreateStage.json", {SAMPLE_HTTP: api}))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(arn, Status.FAILED)]
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["Resources"][0]["Type"] == "AwsApiGatewayV2Stage"

    v2.delete_stage(ApiId=api, StageName="prod")
    settings = {"DestinationArn": GROUP, "Format": "$context.requestId"}
    v2.create_stage(ApiId=api, StageName="prod", AccessLogSettings=settings)
    report = service.evaluate_event(sample("config/AWS-ApiGatewayV2-Stage.json", {SAMPLE_HTTP: api}))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(arn, Status.PASSED)]


def test_collect_judges_every_kind_of_stage_and_finds_one_by_path_or_arn(aws, account_id):
    rest = rest_stage(aws)
    v2 = aws("apigatewayv2")
    http = v2.create_api(Name="payments-api", ProtocolType="HTTP")["ApiId"]
    v2.create_stage(ApiId=http, StageName="prod")
    socket = v2.create_api(Name="chat", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")
    v2.create_stage(ApiId=socket["ApiId"], StageName="live")
    found = {r.resource_id: r.state["kind"] for r in CONTROL.collect(aws, Scope(account_id, REGION))}
    prefix = f"arn:aws:apigateway:{REGION}::"
    assert found == {
        f"{prefix}/restapis/{rest}/stages/prod": "REST",
        f"{prefix}/apis/{http}/stages/prod": "HTTP",
        f"{prefix}/apis/{socket['ApiId']}/stages/live": "WEBSOCKET",
    }
    for given in (f"/apis/{http}/stages/prod", f"{prefix}/apis/{http}/stages/prod"):
        assert [r.resource_id for r in CONTROL.collect(aws, Scope(account_id, REGION, given))] == [
            f"{prefix}/apis/{http}/stages/prod"
        ]
    assert CONTROL.collect(aws, Scope(account_id, REGION, f"/apis/{http}/stages/gone")) == []
    assert CONTROL.collect(aws, Scope(account_id, REGION, "/restapis/nosuchapi1/stages/prod")) == []
    assert CONTROL.collect(aws, Scope(account_id, REGION, "not-a-stage")) == []


def test_one_stage_is_read_through_its_own_api_gateway_client_only(aws, account_id):
    """A REST stage's event reads no HTTP or WebSocket API, and the other way round: each read costs the sweep time."""
    rest = rest_stage(aws)
    http = aws("apigatewayv2").create_api(Name="payments-api", ProtocolType="HTTP")["ApiId"]
    aws("apigatewayv2").create_stage(ApiId=http, StageName="prod")
    for path, service in (
        (f"/restapis/{rest}/stages/prod", "apigateway"),
        (f"/apis/{http}/stages/prod", "apigatewayv2"),
    ):
        asked: list[str] = []
        clients = lambda name, region=None, asked=asked: asked.append(name) or aws(name, region)  # noqa: E731
        [found] = stages(clients, Scope(account_id, REGION, path), (REST, HTTP, WEBSOCKET))
        assert found["arn"].endswith(path) and set(asked) == {service}
