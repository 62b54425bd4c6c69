"""vpc_dns_query_logging_enabled: the pure verdict, what the fix creates (once) and refuses, and round trips on moto."""

from __future__ import annotations

import json

import pytest
from logbaseline.aws import Clients
from logbaseline.controls import vpc_dns_query_logging_enabled
from logbaseline.controls.base import Change, Changes, FixFailed
from logbaseline.controls.vpc_dns_query_logging_enabled import CONFIG_NAME, CONTROL
from logbaseline.engine import FixRequest
from logbaseline.models import Resource, Scope, Status

from tests.conftest import REGION, caller, findings_by_resource, load_event, make_service
from tests.test_shared_reads import counting_session

SAMPLE_VPC = "vpc-0a1b2c3d4e5f67890"
S3 = "arn:aws:s3:::dns-query-logs"
GROUP = "/logbaseline/dns-query-logs"
GROUP_ARN = f"arn:aws:logs:{REGION}:123456789012:log-group:{GROUP}"
NONE = {
    "query_log_config_id": "",
    "query_log_destination_arn": "",
    "retention_floor_days": 365,
    "log_group_kms_key_arn": "",
}
FIREHOSE = "arn:aws:firehose:us-east-1:123456789012:deliverystream/dns"
to = lambda destination: NONE | {"query_log_destination_arn": destination}  # noqa: E731
TO_S3 = to(S3)


def assoc(status="ACTIVE", config="rqlc-1", error=None, id="rqlca-1"):
    return {"id": id, "config_id": config, "status": status, "error": error}


def vpc(*associations) -> Resource:
    state = {"vpc_id": "vpc-1", "associations": list(associations)}
    return Resource("123456789012", REGION, f"arn:aws:ec2:{REGION}:123456789012:vpc/vpc-1", state)


def existing(monkeypatch, *configs):
    """The logbaseline-query-logs configurations the fix finds (it reads them itself)."""
    monkeypatch.setattr(vpc_dns_query_logging_enabled, "baseline_configs", lambda clients, account_id: list(configs))


@pytest.mark.parametrize(
    ("associations", "params", "status", "fixable", "phrase"),
    [
        ((), NONE, Status.FAILED, False, "no Resolver query log configuration is associated"),
        ((), TO_S3, Status.FAILED, True, "DNS queries are not logged"),
        ((), NONE | {"query_log_config_id": "rqlc-9"}, Status.FAILED, True, "not logged"),
        ((), to(f"{GROUP_ARN}:*"), Status.FAILED, True, "not logged"),
        ((), to(FIREHOSE), Status.FAILED, True, "not logged"),
        ((), to("my-bucket"), Status.FAILED, False, "not logged"),  # a bucket name, not an ARN
        ((assoc(),), NONE, Status.PASSED, False, "logged through rqlc-1 (ACTIVE)"),
        ((assoc("CREATING"),), NONE, Status.PASSED, False, "(CREATING)"),
        ((assoc("FAILED", error="Access denied"),), TO_S3, Status.FAILED, True, "rqlc-1: FAILED (Access denied)"),
        ((assoc("ACTION_NEEDED"),), NONE, Status.FAILED, False, "no query log association is active"),
        ((assoc("DELETING"), assoc(config="rqlc-2", id="rqlca-2")), NONE, Status.PASSED, False, "through rqlc-2"),
    ],
)
def test_evaluate(associations, params, status, fixable, phrase):
    """ACTIVE or CREATING passes; no association or only failed ones fail, fixable only with a usable parameter."""
    verdict = CONTROL.evaluate(vpc(*associations), params)
    assert (verdict.status, verdict.fixable) == (status, fixable)
    assert phrase in verdict.reason


def associate(config_id) -> Change:
    parameters = {"ResolverQueryLogConfigId": config_id, "ResourceId": "vpc-1"}
    return Change("route53resolver", "associate_resolver_query_log_config", REGION, parameters)


def create(destination) -> Change:
    request = {"Name": CONFIG_NAME, "DestinationArn": destination}
    return Change("route53resolver", "create_resolver_query_log_config", REGION, request)


def without_token(changes: Changes) -> list[Change]:
    return [Change(c.service, c.operation, c.region, {k: v for k, v in c.parameters.items() if k != "CreatorRequestId"})
            for c in changes.made]  # fmt: skip


NEW = associate(f"(the new {CONFIG_NAME})")  # in dry-run the new configuration has no id yet
LOG_GROUP = [
    Change("logs", "create_log_group", REGION, {"logGroupName": GROUP}),
    Change("logs", "put_retention_policy", REGION, {"logGroupName": GROUP, "retentionInDays": 731}),
]


@pytest.mark.parametrize(
    ("resource", "params", "expected"),
    [
        (vpc(), NONE | {"query_log_config_id": "rqlc-9"}, [associate("rqlc-9")]),
        (vpc(), TO_S3, [create(S3), NEW]),
        (vpc(assoc("FAILED", config="rqlc-x")), TO_S3, [create(S3), NEW]),
        (vpc(), to(f"{GROUP_ARN}:*") | {"retention_floor_days": 731}, [*LOG_GROUP, create(GROUP_ARN), NEW]),
    ],
)
def test_remediate_associates_and_creates_the_configuration_once(aws, resource, params, expected):
    """Re-use the configuration to the destination, or create it (a new log group first, with the floor)."""
    changes = Changes(aws, dry_run=True)  # reads DescribeLogGroups for a log group destination, records the writes
    CONTROL.remediate(changes, resource, params)
    assert without_token(changes) == expected
    assert all(c.parameters.get("CreatorRequestId", "logbaseline-").startswith("logbaseline-") for c in changes.made)


@pytest.mark.parametrize(
    ("resource", "params", "message"),
    [
        (vpc(assoc("FAILED", config="rqlc-9", error="no")), NONE | {"query_log_config_id": "rqlc-9"}, "FAILED: no"),
        (vpc(), to(GROUP_ARN.replace(REGION, "eu-west-1")), "not in the VPC's region"),
        (vpc(), to("dns-bucket"), "set query_log_config_id"),
    ],
)
def test_remediate_refuses(resource, params, message):
    """A broken association, a same-named configuration elsewhere, a foreign region, no ARN: refuse, change nothing."""
    changes = Changes(Clients(REGION), dry_run=True)
    with pytest.raises(FixFailed, match=message):
        CONTROL.remediate(changes, resource, params)
    assert changes.made == []


def test_remediate_reuses_the_configuration_it_created_before(monkeypatch):
    existing(monkeypatch, {"id": "rqlc-b", "destination": S3, "status": "CREATED"})
    changes = Changes(Clients(REGION), dry_run=True)
    CONTROL.remediate(changes, vpc(), TO_S3)
    assert changes.made == [associate("rqlc-b")]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"id": "rqlc-b", "destination": "arn:aws:s3:::other", "status": "CREATED"}, "not to"),
        ({"id": "rqlc-b", "destination": S3, "status": "FAILED"}, "exists, FAILED"),
    ],
)
def test_remediate_refuses_a_same_named_configuration_it_cannot_use(monkeypatch, config, message):
    existing(monkeypatch, config)
    changes = Changes(Clients(REGION), dry_run=True)
    with pytest.raises(FixFailed, match=message):
        CONTROL.remediate(changes, vpc(), TO_S3)
    assert changes.made == []


def test_an_evaluation_reads_the_vpc_and_its_associations_only(aws, account_id):
    """The configurations the fix may re-use are the fix's read; the exemption tag comes with the VPC."""
    vpc_id = aws("ec2").create_vpc(CidrBlock="10.33.0.0/16")["Vpc"]["VpcId"]
    aws("ec2").create_tags(Resources=[vpc_id], Tags=[{"Key": "team", "Value": "dns"}])
    session, asked, _ = counting_session()
    [resource] = CONTROL.collect(Clients(REGION, session), Scope(account_id, REGION, vpc_id))
    assert sorted(asked) == ["DescribeVpcs", "ListResolverQueryLogConfigAssociations"]
    assert resource.tags == {"team": "dns"} and resource.state["associations"] == []


# --- round trips on the moto server -------------------------------------------------------


def sample(relative: str, vpc_id: str) -> dict:
    return json.loads(json.dumps(load_event(relative)).replace(SAMPLE_VPC, vpc_id))


def service_with_queue(aws, account_id, **environ):
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=auto", **environ)
    service.fix_queue_url = aws("sqs").create_queue(QueueName="fixes")["QueueUrl"]
    return service


def mine(report):
    return [o for o in report.outcomes if o.control.id == CONTROL.id]


def associations(aws, vpc_id):
    found = aws("route53resolver").list_resolver_query_log_config_associations()["ResolverQueryLogConfigAssociations"]
    return [a for a in found if a["ResourceId"] == vpc_id]


def baseline_configs(aws):
    configs = aws("route53resolver").list_resolver_query_log_configs()["ResolverQueryLogConfigs"]
    return [c for c in configs if c["Name"] == CONFIG_NAME]


def round_trip(aws, account_id, service, vpc_id):
    """CreateVpc -> FAILED finding -> fix -> associated, PASSED and verified; repeats change nothing."""
    arn = f"arn:aws:ec2:{REGION}:{account_id}:vpc/{vpc_id}"
    event = sample("cloudtrail/ec2-CreateVpc.json", vpc_id)
    report = service.evaluate_event(event)
    [outcome] = mine(report)
    assert (outcome.resource_id, outcome.verdict.status, outcome.verdict.fixable) == (arn, Status.FAILED, True)
    finding = findings_by_resource(aws)[(CONTROL.id, arn)]
    assert finding["Compliance"]["Status"] == "FAILED" and finding["Resources"][0]["Type"] == "AwsEc2Vpc"
    [request] = [r for r in report.fixes_requested if r.control_id == CONTROL.id]
    assert request == FixRequest(CONTROL.id, account_id, REGION, arn, event["id"], caller(event))

    [fixed] = service.fix(request)
    assert fixed.fix["Outcome"] == "verified"
    [association] = associations(aws, vpc_id)
    finding = findings_by_resource(aws)[(CONTROL.id, arn)]
    assert finding["Compliance"]["Status"] == "PASSED"
    assert finding["ProductFields"]["logbaseline/Fix/Outcome"] == "verified"

    [again] = service.fix(request)
    assert again.fix is None and again.verdict.status is Status.PASSED
    second = service.evaluate_event(sample("cloudtrail/route53resolver-AssociateResolverQueryLogConfig.json", vpc_id))
    assert [o.verdict.status for o in mine(second)] == [Status.PASSED] and second.fixes_requested == []
    assert associations(aws, vpc_id) == [association]
    return association


def test_round_trip_s3_destination_creates_one_configuration_for_every_vpc(aws, account_id):
    aws("s3").create_bucket(Bucket="dns-query-logs")
    service = service_with_queue(aws, account_id, LOGBASELINE_QUERY_LOG_DESTINATION_ARN=S3)
    first = aws("ec2").create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    association = round_trip(aws, account_id, service, first)
    [config] = baseline_configs(aws)
    assert (config["DestinationArn"], association["ResolverQueryLogConfigId"]) == (S3, config["Id"])

    other = aws("ec2").create_vpc(CidrBlock="10.31.0.0/16")["Vpc"]["VpcId"]
    assert round_trip(aws, account_id, service, other)["ResolverQueryLogConfigId"] == config["Id"]
    assert baseline_configs(aws) == [config | {"AssociationCount": 2}]  # re-used, not created again
    assert aws("logs").describe_log_groups()["logGroups"] == []


def test_round_trip_log_group_destination_gets_the_retention_floor(aws, account_id):
    destination = f"arn:aws:logs:{REGION}:{account_id}:log-group:{GROUP}"
    service = service_with_queue(aws, account_id, LOGBASELINE_QUERY_LOG_DESTINATION_ARN=destination)
    round_trip(aws, account_id, service, aws("ec2").create_vpc(CidrBlock="10.32.0.0/16")["Vpc"]["VpcId"])
    [group] = aws("logs").describe_log_groups(logGroupNamePrefix=GROUP)["logGroups"]
    assert group.get("retentionInDays") == 365
    assert [c["DestinationArn"] for c in baseline_configs(aws)] == [destination]


def test_round_trip_configured_configuration_is_associated_and_nothing_is_created(aws, account_id):
    resolver = aws("route53resolver")
    config = resolver.create_resolver_query_log_config(Name="org-dns", DestinationArn=S3, CreatorRequestId="seed")
    config_id = config["ResolverQueryLogConfig"]["Id"]
    service = service_with_queue(aws, account_id, LOGBASELINE_QUERY_LOG_CONFIG_ID=config_id)
    vpc_id = aws("ec2").create_vpc(CidrBlock="10.33.0.0/16")["Vpc"]["VpcId"]
    assert round_trip(aws, account_id, service, vpc_id)["ResolverQueryLogConfigId"] == config_id
    assert baseline_configs(aws) == []


def test_round_trip_without_parameters_is_not_fixable(aws, account_id):
    vpc_id = aws("ec2").create_vpc(CidrBlock="10.34.0.0/16")["Vpc"]["VpcId"]
    arn = f"arn:aws:ec2:{REGION}:{account_id}:vpc/{vpc_id}"
    service = service_with_queue(aws, account_id)  # default mode auto, but nothing configured
    report = service.evaluate_event(sample("config/AWS-EC2-VPC.json", vpc_id))
    assert [(o.verdict.status, o.verdict.fixable) for o in mine(report)] == [(Status.FAILED, False)]
    assert [r for r in report.fixes_requested if r.control_id == CONTROL.id] == []
    [forced] = service.fix(FixRequest(CONTROL.id, account_id, REGION, arn))
    assert forced.fix is None and associations(aws, vpc_id) == [] and baseline_configs(aws) == []


def test_deleted_vpc_finding_is_archived(aws, account_id):
    """A Disassociate event for a VPC deleted since archives its finding, rebuilt as the VPC ARN from the id."""
    vpc_id = aws("ec2").create_vpc(CidrBlock="10.37.0.0/16")["Vpc"]["VpcId"]
    arn = f"arn:aws:ec2:{REGION}:{account_id}:vpc/{vpc_id}"
    service = service_with_queue(aws, account_id)
    service.evaluate_event(sample("cloudtrail/ec2-CreateVpc.json", vpc_id))
    aws("ec2").delete_vpc(VpcId=vpc_id)
    report = service.evaluate_event(
        sample("cloudtrail/route53resolver-DisassociateResolverQueryLogConfig.json", vpc_id)
    )
    assert [(o.present, o.resource_id) for o in mine(report)] == [(False, arn)]
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["RecordState"] == "ARCHIVED"


def test_deleted_configuration_re_evaluates_every_vpc_of_the_region(aws, account_id):
    """DeleteResolverQueryLogConfig names no VPC: every VPC of the region is judged again."""
    aws("ec2").create_vpc(CidrBlock="10.35.0.0/16")
    report = make_service(account_id).evaluate_event(
        load_event("cloudtrail/route53resolver-DeleteResolverQueryLogConfig.json")
    )
    judged = {o.resource_id.rsplit("/", 1)[-1] for o in mine(report)}
    assert len(judged) >= 2 and judged == {v["VpcId"] for v in aws("ec2").describe_vpcs()["Vpcs"]}  # with the default
