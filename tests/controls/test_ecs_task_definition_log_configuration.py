"""ecs_task_definition_log_configuration: the pure verdict, the latest active revision, and round trips on moto."""

from __future__ import annotations

import pytest
from logbaseline.controls.ecs_task_definition_log_configuration import CONTROL, family_arn, family_of
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

FAMILY = "arn:aws:ecs:us-east-1:123456789012:task-definition/orders-api"  # the samples' family
AWSLOGS = {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/orders-api", "awslogs-region": REGION}}


@pytest.mark.parametrize(
    ("containers", "status", "phrase"),
    [
        ({"api": "awslogs"}, Status.PASSED, "every container has a logConfiguration (awslogs)"),
        ({"api": "awslogs", "envoy": "awsfirelens"}, Status.PASSED, "(awsfirelens, awslogs)"),
        ({"api": ""}, Status.FAILED, "container(s) api have no logConfiguration"),
        ({"api": "awslogs", "sidecar": "", "init": ""}, Status.FAILED, "container(s) init, sidecar have no"),
    ],
)
def test_evaluate(containers, status, phrase):
    state = {"family": "orders-api", "revision": 3, "containers": containers}
    verdict = CONTROL.evaluate(Resource("123456789012", REGION, FAMILY, state), {})
    assert (verdict.status, verdict.fixable) == (status, False)
    assert phrase in verdict.reason and "orders-api:3 (latest active revision)" in verdict.reason


@pytest.mark.parametrize("named", ["orders-api", "orders-api:3", f"{FAMILY}:3", FAMILY])
def test_every_way_a_call_names_a_revision_is_its_family(named):
    assert family_of(named) == "orders-api"
    assert family_arn(Scope("123456789012", REGION, named)) == FAMILY


def test_no_fix():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF
    assert "Security Hub ECS.9" in CONTROL.related_requirements


# --- round trips on the moto server -------------------------------------------------------


def register(aws, family: str, *logged: bool) -> None:
    containers = [
        {"name": f"c{i}", "image": "public.ecr.aws/nginx/nginx:1.27", "memory": 128}
        | ({"logConfiguration": AWSLOGS} if log else {})
        for i, log in enumerate(logged)
    ]
    aws("ecs").register_task_definition(family=family, containerDefinitions=containers)


def mine(report):
    return [(o.resource_id, o.present, o.verdict.status) for o in report.outcomes if o.control.id == CONTROL.id]


def test_round_trip_the_latest_active_revision_is_judged(aws, account_id):
    """Revisions 1-3; the latest (3) logs nothing -> FAILED; revision 3 deregistered -> revision 2 (logged) PASSES;
    every revision gone -> the family's finding is archived."""
    register(aws, "orders-api", True)
    register(aws, "orders-api", True, True)
    register(aws, "orders-api", True, False)
    register(aws, "orders-api-worker", False)  # another family sharing the prefix: never mistaken for this one
    service = make_service(account_id)
    report = service.evaluate_event(load_event("cloudtrail/ecs-RegisterTaskDefinition.json"))
    assert mine(report) == [(FAMILY, True, Status.FAILED)] and report.fixes_requested == []
    [outcome] = [o for o in report.outcomes if o.control.id == CONTROL.id]
    assert outcome.verdict.reason.startswith("task definition orders-api:3") and "c1 have no" in outcome.verdict.reason
    finding = findings_by_resource(aws)[(CONTROL.id, FAMILY)]
    assert finding["Compliance"]["Status"] == "FAILED" and finding["Resources"][0]["Type"] == "AwsEcsTaskDefinition"

    aws("ecs").deregister_task_definition(taskDefinition="orders-api:3")
    report = service.evaluate_event(load_event("config/AWS-ECS-TaskDefinition.json"))
    assert mine(report) == [(FAMILY, True, Status.PASSED)]
    [outcome] = [o for o in report.outcomes if o.control.id == CONTROL.id]
    assert outcome.verdict.reason.startswith("task definition orders-api:2 (latest active revision)")

    for revision in (1, 2):
        aws("ecs").deregister_task_definition(taskDefinition=f"orders-api:{revision}")
    report = service.evaluate_event(load_event("cloudtrail/ecs-DeregisterTaskDefinition.json"))
    assert mine(report) == [(FAMILY, False, Status.NOT_APPLICABLE)]
    assert findings_by_resource(aws)[(CONTROL.id, FAMILY)]["RecordState"] == "ARCHIVED"


def test_collect_every_family(aws, account_id):
    register(aws, "orders-api", False)
    register(aws, "orders-api", True)
    register(aws, "billing", True, False)
    found = {
        r.state["family"]: (r.state["revision"], CONTROL.evaluate(r, {}).status)
        for r in CONTROL.collect(aws, Scope(account_id, REGION))
    }
    assert found == {"orders-api": (2, Status.PASSED), "billing": (1, Status.FAILED)}
