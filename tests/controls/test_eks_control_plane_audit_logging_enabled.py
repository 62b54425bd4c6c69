"""eks_control_plane_audit_logging_enabled: log-type parsing, the pure verdict, an enable-only fix, round trips."""

from __future__ import annotations

import pytest
from logbaseline.aws import Clients
from logbaseline.controls.base import Change, Changes, FixFailed
from logbaseline.controls.eks_control_plane_audit_logging_enabled import CONTROL, enabled_types
from logbaseline.engine import FixRequest
from logbaseline.models import Resource, Status

from tests.conftest import REGION, caller, findings_by_resource, load_event, make_service

NAME = "orders-prod"  # the cluster of the sample events
ALL = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


@pytest.mark.parametrize(
    ("logging", "expected"),
    [
        (None, []),
        ({}, []),
        ({"clusterLogging": [{"types": ALL, "enabled": False}]}, []),  # a new cluster's default
        ({"clusterLogging": [{"types": ["api", "audit"], "enabled": True}]}, ["api", "audit"]),
        (
            {
                "clusterLogging": [
                    {"types": ["audit"], "enabled": True},
                    {"types": ["api", "scheduler"], "enabled": False},
                ]
            },
            ["audit"],
        ),
        ({"clusterLogging": [{"types": ["scheduler", "api"], "enabled": True}]}, ["api", "scheduler"]),
    ],
)
def test_enabled_types(logging, expected):
    """Only the types of entries marked enabled count, whatever the order of the entries."""
    assert enabled_types(logging) == expected


def cluster(types=(), status="ACTIVE") -> Resource:
    arn = f"arn:aws:eks:{REGION}:123456789012:cluster/{NAME}"
    return Resource("123456789012", REGION, arn, {"name": NAME, "status": status, "enabled_types": list(types)})


@pytest.mark.parametrize(
    ("types", "status", "verdict", "fixable", "phrase"),
    [
        ((), "ACTIVE", Status.FAILED, True, "log types api, audit, authenticator are not enabled"),
        (("api", "audit"), "ACTIVE", Status.FAILED, True, "log types authenticator are not enabled"),
        (("controllerManager", "scheduler"), "ACTIVE", Status.FAILED, True, "api, audit, authenticator"),
        (("api", "audit", "authenticator"), "ACTIVE", Status.PASSED, False, "api, audit, authenticator are enabled"),
        (ALL, "ACTIVE", Status.PASSED, False, "controllerManager"),
        (("api", "audit", "authenticator"), "UPDATING", Status.PASSED, False, "are enabled"),
        ((), "CREATING", Status.FAILED, False, "the cluster is CREATING, so the fix waits until it is ACTIVE"),
        (("api",), "UPDATING", Status.FAILED, False, "the cluster is UPDATING"),
    ],
)
def test_evaluate(types, status, verdict, fixable, phrase):
    """All three required types pass; a gap is fixable only while the cluster is ACTIVE."""
    result = CONTROL.evaluate(cluster(types, status), {})
    assert (result.status, result.fixable) == (verdict, fixable)
    assert phrase in result.reason


@pytest.mark.parametrize(
    ("types", "sent"),
    [
        ((), ["api", "audit", "authenticator"]),
        (("audit",), ["api", "audit", "authenticator"]),
        (("scheduler", "api"), ["api", "audit", "authenticator", "scheduler"]),
    ],
)
def test_remediate_only_enables(types, sent):
    """One UpdateClusterConfig with a single enabled entry: the wanted types plus those already on, never a disable."""
    changes = Changes(Clients(REGION), dry_run=True)
    CONTROL.remediate(changes, cluster(types), {})
    logging = {"clusterLogging": [{"types": sent, "enabled": True}]}
    assert changes.made == [Change("eks", "update_cluster_config", REGION, {"name": NAME, "logging": logging})]


@pytest.mark.parametrize(
    ("types", "status"), [((), "CREATING"), ((), "UPDATING"), (("api", "audit", "authenticator"), "ACTIVE")]
)
def test_remediate_refuses(types, status):
    """Not ACTIVE (EKS would refuse) or nothing missing: no call at all."""
    changes = Changes(Clients(REGION), dry_run=True)
    with pytest.raises(FixFailed):
        CONTROL.remediate(changes, cluster(types, status), {})
    assert changes.made == []


# --- round trips on the moto server -------------------------------------------------------


def create_cluster(aws, enabled=()):
    logging = {"clusterLogging": [{"types": list(enabled), "enabled": True}]} if enabled else {}
    return aws("eks").create_cluster(
        name=NAME,
        roleArn="arn:aws:iam::123456789012:role/eks-cluster-role",
        resourcesVpcConfig={"subnetIds": []},
        **({"logging": logging} if logging else {}),
    )["cluster"]["arn"]


def service_with_queue(aws, account_id):
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=auto")
    service.fix_queue_url = aws("sqs").create_queue(QueueName="fixes")["QueueUrl"]
    return service


def logged(aws) -> list[str]:
    return enabled_types(aws("eks").describe_cluster(name=NAME)["cluster"]["logging"])


@pytest.mark.parametrize(
    ("event", "enabled"),
    [
        ("cloudtrail/eks-CreateCluster.json", ()),
        ("cloudtrail/eks-UpdateClusterConfig.json", ("controllerManager",)),
        ("config/AWS-EKS-Cluster.json", ("audit", "scheduler")),
    ],
)
def test_round_trip_missing_types_are_enabled(aws, account_id, event, enabled):
    """Event -> FAILED finding -> fix -> the three types on, the others untouched -> PASSED, verified; no repeat."""
    arn = create_cluster(aws, enabled)
    service = service_with_queue(aws, account_id)
    sample = load_event(event)

    report = service.evaluate_event(sample)
    [outcome] = report.outcomes
    assert (outcome.resource_id, outcome.verdict.status, outcome.verdict.fixable) == (arn, Status.FAILED, True)
    finding = findings_by_resource(aws)[(CONTROL.id, arn)]
    assert finding["Compliance"]["Status"] == "FAILED" and finding["Severity"]["Label"] == "MEDIUM"
    assert finding["Resources"][0]["Type"] == "AwsEksCluster"
    assert report.fixes_requested == [FixRequest(CONTROL.id, account_id, REGION, arn, sample["id"], caller(sample))]

    [fixed] = service.fix(report.fixes_requested[0])
    assert fixed.fix["Outcome"] == "verified"
    assert logged(aws) == sorted({"api", "audit", "authenticator", *enabled})  # nothing that was on is off
    finding = findings_by_resource(aws)[(CONTROL.id, arn)]
    assert finding["Compliance"]["Status"] == "PASSED"
    assert finding["ProductFields"]["logbaseline/Fix/Outcome"] == "verified"

    [again] = service.fix(report.fixes_requested[0])
    assert again.fix is None and again.verdict.status is Status.PASSED
    second = service.evaluate_event(sample)
    assert [o.verdict.status for o in second.outcomes] == [Status.PASSED] and second.fixes_requested == []


def test_round_trip_compliant_cluster_passes_without_a_fix(aws, account_id):
    """All five types on: PASSED, no fix request (so no queue is needed)."""
    arn = create_cluster(aws, ALL)
    report = make_service(account_id).evaluate_event(load_event("cloudtrail/eks-UpdateClusterConfig.json"))
    assert [(o.resource_id, o.verdict.status) for o in report.outcomes] == [(arn, Status.PASSED)]
    assert report.fixes_requested == []


def test_round_trip_deleted_cluster_is_archived(aws, account_id):
    """An event naming a cluster that is gone archives its finding under the ARN rebuilt from the name."""
    arn = create_cluster(aws)
    service = service_with_queue(aws, account_id)
    [request] = service.evaluate_event(load_event("cloudtrail/eks-UpdateClusterConfig.json")).fixes_requested
    aws("eks").delete_cluster(name=NAME)

    report = service.evaluate_event(load_event("cloudtrail/eks-UpdateClusterConfig.json"))
    assert [(o.present, o.resource_id) for o in report.outcomes] == [(False, arn)]
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["RecordState"] == "ARCHIVED"
    [late] = service.fix(request)  # a fix request that arrives after the deletion changes nothing
    assert (late.present, late.fix) == (False, None)
