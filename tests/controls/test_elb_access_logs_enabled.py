"""elb_access_logs_enabled: the pure verdict, one fix call per API, lookups by name or ARN, round trips on moto."""

from __future__ import annotations

import json

import pytest
from logbaseline.aws import Clients
from logbaseline.controls.base import Change, Changes, FixFailed
from logbaseline.controls.elb_access_logs_enabled import CONTROL
from logbaseline.engine import FixRequest, sweep_event
from logbaseline.models import Resource, Scope, Status

from tests.conftest import REGION, caller, findings_by_resource, load_event, make_service

SAMPLE_ALB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/orders-alb/50dc6c495c0c9188"
CLASSIC = "legacy-web"  # the Classic Load Balancer of the sample events
BUCKET, PREFIX = "elb-logs", "elb-access-logs"
PARAMS = {"elb_access_log_bucket": BUCKET, "elb_access_log_prefix": PREFIX}
NO_BUCKET = PARAMS | {"elb_access_log_bucket": ""}


def lb(kind="application", enabled=False, bucket="", prefix="", name="orders-alb") -> Resource:
    arn = f"arn:aws:elasticloadbalancing:{REGION}:123456789012:loadbalancer/" + (
        name if kind == "classic" else f"{kind[:3]}/{name}/0123456789abcdef"
    )
    state = {"kind": kind, "name": name, "enabled": enabled, "bucket": bucket, "prefix": prefix}
    return Resource("123456789012", REGION, arn, state)


@pytest.mark.parametrize(
    ("resource", "params", "status", "fixable", "phrase"),
    [
        (
            lb(enabled=True, bucket="b", prefix="p"),
            PARAMS,
            Status.PASSED,
            False,
            "orders-alb writes access logs to s3://b/p",
        ),
        (lb(), PARAMS, Status.FAILED, True, "Application Load Balancer orders-alb does not write access logs"),
        (lb(), NO_BUCKET, Status.FAILED, False, "does not write access logs"),
        (lb("network"), PARAMS, Status.FAILED, True, "(a Network Load Balancer logs its TLS listeners only)"),
        (lb("network", enabled=True), NO_BUCKET, Status.PASSED, False, "TLS listeners only"),
        (lb("classic", name=CLASSIC), PARAMS, Status.FAILED, True, "Classic Load Balancer legacy-web does not write"),
        (lb("classic", True, "b", name=CLASSIC), NO_BUCKET, Status.PASSED, False, "writes access logs to s3://b/"),
        (lb("gateway"), PARAMS, Status.NOT_APPLICABLE, False, "Gateway Load Balancers have no access logs"),
    ],
)
def test_evaluate(resource, params, status, fixable, phrase):
    """Logs off fail (fixable only with a bucket); Gateway Load Balancers are not judged."""
    verdict = CONTROL.evaluate(resource, params)
    assert (verdict.status, verdict.fixable) == (status, fixable)
    assert phrase in verdict.reason


V2_ATTRIBUTES = [
    {"Key": "access_logs.s3.enabled", "Value": "true"},
    {"Key": "access_logs.s3.bucket", "Value": BUCKET},
    {"Key": "access_logs.s3.prefix", "Value": PREFIX},
]
CLASSIC_LOG = {"AccessLog": {"Enabled": True, "S3BucketName": BUCKET, "S3BucketPrefix": PREFIX}}


def modify(service: str, **parameters) -> Change:
    return Change(service, "modify_load_balancer_attributes", REGION, parameters)


@pytest.mark.parametrize(
    ("resource", "params", "expected"),
    [
        (lb(), PARAMS, modify("elbv2", LoadBalancerArn=lb().resource_id, Attributes=V2_ATTRIBUTES)),
        (  # a bucket given as an ARN is sent by name
            lb("network"),
            PARAMS | {"elb_access_log_bucket": f"arn:aws:s3:::{BUCKET}"},
            modify("elbv2", LoadBalancerArn=lb("network").resource_id, Attributes=V2_ATTRIBUTES),
        ),
        (
            lb("classic", name=CLASSIC),
            PARAMS,
            modify("elb", LoadBalancerName=CLASSIC, LoadBalancerAttributes=CLASSIC_LOG),
        ),
    ],
)
def test_remediate_turns_access_logs_on_in_one_call(resource, params, expected):
    changes = Changes(Clients(REGION), dry_run=True)
    CONTROL.remediate(changes, resource, params)
    assert changes.made == [expected]


@pytest.mark.parametrize(
    ("resource", "params", "message"),
    [
        (lb(), NO_BUCKET, "no elb_access_log_bucket"),
        (lb(enabled=True, bucket="other"), PARAMS, "nothing to do: access logs are on"),
        (lb("gateway"), PARAMS, "not available"),
    ],
)
def test_remediate_refuses(resource, params, message):
    changes = Changes(Clients(REGION), dry_run=True)
    with pytest.raises(FixFailed, match=message):
        CONTROL.remediate(changes, resource, params)
    assert changes.made == []


# --- round trips on the moto server -------------------------------------------------------


def seed(aws, *types: str) -> dict[str, str]:
    """One load balancer per type (ELBv2 ones named <type>-lb, Classic as in the samples): name -> ARN."""
    ec2 = aws("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    zones = ("us-east-1a", "us-east-1b")
    subnets = [ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.40.{i}.0/24", AvailabilityZone=z)["Subnet"]["SubnetId"]
               for i, z in enumerate(zones)]  # fmt: skip
    arns = {}
    for kind in types:
        if kind == "classic":
            listener = {"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}
            aws("elb").create_load_balancer(LoadBalancerName=CLASSIC, Listeners=[listener], AvailabilityZones=zones)
            arns[CLASSIC] = f"arn:aws:elasticloadbalancing:{REGION}:123456789012:loadbalancer/{CLASSIC}"
        else:
            [created] = aws("elbv2").create_load_balancer(Name=f"{kind}-lb", Subnets=subnets, Type=kind)[
                "LoadBalancers"
            ]
            arns[f"{kind}-lb"] = created["LoadBalancerArn"]
    return arns


def sample(relative: str, alb_arn: str = SAMPLE_ALB) -> dict:
    return json.loads(json.dumps(load_event(relative)).replace(SAMPLE_ALB, alb_arn))


def service_with_queue(aws, account_id, **environ):
    environ = {"LOGBASELINE_ELB_ACCESS_LOG_BUCKET": BUCKET} | environ
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=auto", **environ)
    service.fix_queue_url = aws("sqs").create_queue(QueueName="fixes")["QueueUrl"]
    return service


def mine(report):
    return [o for o in report.outcomes if o.control.id == CONTROL.id]


def access_logs(aws, name: str, arn: str) -> tuple:
    if name == CLASSIC:
        log = aws("elb").describe_load_balancer_attributes(LoadBalancerName=name)["LoadBalancerAttributes"]["AccessLog"]
        return log["Enabled"], log.get("S3BucketName"), log.get("S3BucketPrefix")
    found = aws("elbv2").describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
    attributes = {a["Key"]: a["Value"] for a in found}
    keys = ("access_logs.s3.enabled", "access_logs.s3.bucket", "access_logs.s3.prefix")
    return tuple(attributes.get(k) for k in keys)


@pytest.mark.parametrize(
    ("kind", "name", "created", "modified", "on", "asff_type"),
    [
        (
            "application",
            "application-lb",
            "elasticloadbalancing-CreateLoadBalancer.json",
            "",
            "true",
            "AwsElbv2LoadBalancer",
        ),
        (
            "classic",
            CLASSIC,
            "elasticloadbalancing-CreateLoadBalancer-classic.json",
            "-classic",
            True,
            "AwsElbLoadBalancer",
        ),
    ],
)
def test_round_trip_access_logs_are_turned_on(aws, account_id, kind, name, created, modified, on, asff_type):
    """CreateLoadBalancer -> FAILED finding -> fix -> access logs on -> PASSED, verified; repeats change nothing."""
    aws("s3").create_bucket(Bucket=BUCKET)
    arn = seed(aws, kind)[name]
    service = service_with_queue(aws, account_id)
    event = sample(f"cloudtrail/{created}", arn)
    report = service.evaluate_event(event)
    [outcome] = mine(report)
    assert (outcome.resource_id, outcome.verdict.status, outcome.verdict.fixable) == (arn, Status.FAILED, True)
    finding = findings_by_resource(aws)[(CONTROL.id, arn)]
    assert finding["Compliance"]["Status"] == "FAILED" and finding["Resources"][0]["Type"] == asff_type
    assert report.fixes_requested == [FixRequest(CONTROL.id, account_id, REGION, arn, event["id"], caller(event))]

    [fixed] = service.fix(report.fixes_requested[0])
    assert fixed.fix["Outcome"] == "verified"
    assert access_logs(aws, name, arn) == (on, BUCKET, PREFIX)
    finding = findings_by_resource(aws)[(CONTROL.id, arn)]
    assert finding["Compliance"]["Status"] == "PASSED"
    assert finding["ProductFields"]["logbaseline/Fix/Outcome"] == "verified"

    [again] = service.fix(report.fixes_requested[0])
    assert again.fix is None and again.verdict.status is Status.PASSED
    second = service.evaluate_event(
        sample(f"cloudtrail/elasticloadbalancing-ModifyLoadBalancerAttributes{modified}.json", arn)
    )
    assert [o.verdict.status for o in mine(second)] == [Status.PASSED] and second.fixes_requested == []


def test_sweep_judges_every_kind_and_reports_no_gateway(aws, account_id):
    """Without a bucket nothing is fixable; the Gateway Load Balancer is not applicable, so not in Security Hub."""
    arns = seed(aws, "application", "network", "gateway", "classic")
    report = make_service(account_id).evaluate_event(sweep_event(account_id, REGION, [CONTROL.id]))
    verdicts = {o.resource_id: (o.verdict.status, o.verdict.fixable) for o in mine(report)}
    assert verdicts == {
        arns["application-lb"]: (Status.FAILED, False),
        arns["network-lb"]: (Status.FAILED, False),
        arns["gateway-lb"]: (Status.NOT_APPLICABLE, False),
        arns[CLASSIC]: (Status.FAILED, False),
    }
    assert {r for c, r in findings_by_resource(aws) if c == CONTROL.id} == set(arns.values()) - {arns["gateway-lb"]}


def test_collect_finds_a_load_balancer_by_name_or_arn_and_nothing_that_is_gone(aws, account_id):
    arns = seed(aws, "application", "classic")
    cases = {
        "application-lb": arns["application-lb"],
        arns["application-lb"]: arns["application-lb"],
        CLASSIC: arns[CLASSIC],
        arns[CLASSIC]: arns[CLASSIC],
    }
    for given, found in cases.items():
        assert [r.resource_id for r in CONTROL.collect(aws, Scope(account_id, REGION, given))] == [found], given
    for gone in ("no-such-lb", arns["application-lb"].replace("application-lb", "gone-lb"), arns[CLASSIC] + "-gone"):
        assert CONTROL.collect(aws, Scope(account_id, REGION, gone)) == [], gone


def test_round_trip_deleted_load_balancer_is_archived(aws, account_id):
    arn = seed(aws, "application")["application-lb"]
    service = service_with_queue(aws, account_id, LOGBASELINE_ELB_ACCESS_LOG_BUCKET="")
    service.evaluate_event(sample("cloudtrail/elasticloadbalancing-CreateLoadBalancer.json", arn))
    aws("elbv2").delete_load_balancer(LoadBalancerArn=arn)
    report = service.evaluate_event(sample("cloudtrail/elasticloadbalancing-ModifyLoadBalancerAttributes.json", arn))
    assert [(o.present, o.resource_id) for o in mine(report)] == [(False, arn)]
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["RecordState"] == "ARCHIVED"
