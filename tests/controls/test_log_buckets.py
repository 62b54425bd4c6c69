"""_log_buckets: naming buckets, and finding the log buckets of an account and region on the moto server."""

from __future__ import annotations

import json
from collections import Counter

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from logbaseline.aws import Clients
from logbaseline.controls._log_buckets import LOG_DESTINATION_TRIGGERS, LogBuckets, bucket_arn, bucket_name
from logbaseline.engine.routing import route
from logbaseline.models import Scope

from tests.conftest import NO_RETRY, REGION, load_event


@pytest.mark.parametrize(
    ("resource_id", "name"),
    [
        ("logs", "logs"),
        ("arn:aws:s3:::logs", "logs"),
        ("arn:aws:s3:::logs/AWSLogs/vpc/", "logs"),  # a flow-log or query-log destination with a prefix
        ("arn:aws-cn:s3:::logs", "logs"),
    ],
)
def test_bucket_name_and_arn(resource_id, name):
    """A name, an ARN or a destination ARN names the bucket; the finding's id is the partition's bucket ARN."""
    assert bucket_name(resource_id) == name
    assert bucket_arn(Scope("123456789012", "cn-north-1", resource_id)) == f"arn:aws-cn:s3:::{name}"
    assert bucket_arn(Scope("123456789012", REGION, resource_id)) == f"arn:aws:s3:::{name}"


class Recording(Clients):
    """Clients that note which services were asked for."""

    def __init__(self):
        super().__init__(REGION, config=NO_RETRY)
        self.services: list[str] = []

    def __call__(self, service, region=None):
        self.services.append(service)
        return super().__call__(service, region)


def seed_sources(aws) -> dict[str, str]:
    """One log bucket of each kind, plus buckets that must not count."""
    s3, ec2 = aws("s3"), aws("ec2")
    for name in ("trail-logs", "dns-logs", "flow-logs", "clb-logs", "alb-logs", "access-logs", "app-data"):
        s3.create_bucket(Bucket=name)
    aws("s3", "eu-west-1").create_bucket(
        Bucket="eu-logs", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    aws("cloudtrail").create_trail(Name="management-events", S3BucketName="trail-logs", IsMultiRegionTrail=True)
    aws("cloudtrail").create_trail(Name="eu-trail", S3BucketName="eu-logs")  # another region's bucket
    dns = aws("route53resolver").create_resolver_query_log_config(
        Name="dns", DestinationArn="arn:aws:s3:::dns-logs", CreatorRequestId="seed"
    )["ResolverQueryLogConfig"]["Id"]
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    [flow] = ec2.create_flow_logs(
        ResourceType="VPC",
        ResourceIds=[vpc],
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination="arn:aws:s3:::flow-logs",
    )["FlowLogIds"]
    aws("elb").create_load_balancer(
        LoadBalancerName="clb",
        Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}],
        AvailabilityZones=["us-east-1a"],
    )
    aws("elb").modify_load_balancer_attributes(
        LoadBalancerName="clb", LoadBalancerAttributes={"AccessLog": {"Enabled": True, "S3BucketName": "clb-logs"}}
    )
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.30.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"][
            "SubnetId"
        ]
        for i, z in ((1, "a"), (2, "b"))
    ]
    alb = aws("elbv2").create_load_balancer(Name="alb", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    logs = [("access_logs.s3.enabled", "true"), ("access_logs.s3.bucket", "alb-logs")]
    logs += [("connection_logs.s3.enabled", "true"), ("connection_logs.s3.bucket", "alb-logs")]
    aws("elbv2").modify_load_balancer_attributes(
        LoadBalancerArn=alb, Attributes=[{"Key": k, "Value": v} for k, v in logs]
    )
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::access-logs/*",
    }
    s3.put_bucket_policy(Bucket="access-logs", Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    s3.put_bucket_logging(
        Bucket="app-data", BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "access-logs", "TargetPrefix": "x/"}}
    )
    return {"dns": dns, "flow": flow, "alb": alb.split(":loadbalancer/")[1]}


def test_log_buckets_of_every_kind_in_this_region_only(aws):
    """Each kind of source is found; another region's bucket and a non-log bucket are not."""
    ids = seed_sources(aws)
    assert LogBuckets(Clients(REGION, config=NO_RETRY), REGION).sources() == {
        "trail-logs": {"trail": ["management-events"]},
        "dns-logs": {"resolver": [ids["dns"]]},
        "flow-logs": {"flow_log": [ids["flow"]]},
        "clb-logs": {"elb": ["clb"]},
        "alb-logs": {"elbv2": [ids["alb"]]},  # access and connection logs: one source
        "access-logs": {"access_log": ["app-data"]},
    }


@pytest.mark.parametrize(
    ("wanted", "services"),
    [("trail-logs", {"s3", "cloudtrail"}), ("dns-logs", {"s3", "cloudtrail", "route53resolver"}), ("nope", {"s3"})],
)
def test_one_bucket_reads_only_what_it_must(aws, wanted, services):
    """Looking for one bucket stops at the first kind of source that names it (or at ListBuckets)."""
    seed_sources(aws)
    clients = Recording()
    found = LogBuckets(clients, REGION).sources(wanted)
    assert set(found) == ({wanted} if wanted != "nope" else set())
    assert set(clients.services) == services


def test_one_bucket_search_stops_at_the_first_bucket_logging_into_it(aws):
    """Three buckets log into one: the region's search names all three, one bucket's stops at the first."""
    for name in ("a-app", "b-app", "c-app", "z-access-logs"):
        aws("s3").create_bucket(Bucket=name)
    grant = {"Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject"}
    policy = {"Version": "2012-10-17", "Statement": [grant | {"Resource": "arn:aws:s3:::z-access-logs/*"}]}
    aws("s3").put_bucket_policy(Bucket="z-access-logs", Policy=json.dumps(policy))
    for name in ("a-app", "b-app", "c-app"):
        status = {"LoggingEnabled": {"TargetBucket": "z-access-logs", "TargetPrefix": f"{name}/"}}
        aws("s3").put_bucket_logging(Bucket=name, BucketLoggingStatus=status)
    assert LogBuckets(Clients(REGION, config=NO_RETRY), REGION).sources() == {
        "z-access-logs": {"access_log": ["a-app", "b-app", "c-app"]}
    }
    session, asked = boto3.Session(), Counter()
    session.events.register("before-call", lambda model, **kwargs: asked.update([model.name]))
    found = LogBuckets(Clients(REGION, session, NO_RETRY), REGION).sources("z-access-logs")
    assert found == {"z-access-logs": {"access_log": ["a-app"]}}
    assert asked["GetBucketLogging"] == 1 and asked["ListBuckets"] == 1


def test_a_gateway_load_balancer_is_passed_over_and_the_load_balancers_listed_after_it_are_read(aws):
    """A Gateway Load Balancer writes no logs to S3: its attributes are not read, and the search goes on past it."""
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.31.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.31.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"]
               ["SubnetId"] for i, z in ((1, "a"), (2, "b"))]  # fmt: skip
    aws("s3").create_bucket(Bucket="alb-logs")
    aws("elbv2").create_load_balancer(Name="gwlb", Subnets=subnets, Type="gateway")
    [alb] = aws("elbv2").create_load_balancer(Name="alb", Subnets=subnets)["LoadBalancers"]
    logs = [{"Key": "access_logs.s3.enabled", "Value": "true"}, {"Key": "access_logs.s3.bucket", "Value": "alb-logs"}]
    aws("elbv2").modify_load_balancer_attributes(LoadBalancerArn=alb["LoadBalancerArn"], Attributes=logs)
    listed = [b["LoadBalancerName"] for b in aws("elbv2").describe_load_balancers()["LoadBalancers"]]
    assert listed == ["gwlb", "alb"]  # the gateway first, as the case needs
    session, asked = boto3.Session(), Counter()
    session.events.register("before-call", lambda model, **kwargs: asked.update([model.name]))
    found = LogBuckets(Clients(REGION, session, NO_RETRY), REGION).sources(kinds=("elbv2",))
    assert found == {"alb-logs": {"elbv2": [alb["LoadBalancerArn"].split(":loadbalancer/")[1]]}}
    assert asked["DescribeLoadBalancerAttributes"] == 1


# Every call of LOG_DESTINATION_TRIGGERS that sends logs to a bucket: its sample, or (where the sample sends them
# elsewhere) the sample with the bucket set in the request's own members.
def _to_bucket(path: str, value: object):
    def set_bucket(parameters: dict) -> None:
        *parents, last = path.split(".")
        for name in parents:
            parameters = parameters.setdefault(name, {})
        parameters[last] = value

    return set_bucket


MSK_TO_S3 = {"enabled": True, "bucket": "msk-broker-logs"}
BUILDS_TO_S3 = {"status": "ENABLED", "location": "build-logs/orders"}
DESTINATION_SAMPLES = [
    ("cloudtrail/cloudtrail-CreateTrail.json", None),
    ("cloudtrail/cloudtrail-UpdateTrail.json", None),
    ("cloudtrail/ec2-CreateFlowLogs-s3.json", None),
    ("cloudtrail/elasticloadbalancing-ModifyLoadBalancerAttributes.json", None),
    ("cloudtrail/route53resolver-CreateResolverQueryLogConfig.json", None),
    ("cloudtrail/network-firewall-UpdateLoggingConfiguration.json", None),
    ("cloudtrail/globalaccelerator-UpdateAcceleratorAttributes.json", None),
    ("cloudtrail/globalaccelerator-UpdateCustomRoutingAcceleratorAttributes.json",
     _to_bucket("flowLogsS3Bucket", "edge-flow-logs")),
    ("cloudtrail/redshift-EnableLogging.json", _to_bucket("bucketName", "redshift-audit")),
    ("cloudtrail/wafv2-PutLoggingConfiguration.json",
     _to_bucket("loggingConfiguration.logDestinationConfigs", ["arn:aws:s3:::aws-waf-logs-orders"])),
    ("cloudtrail/kafka-CreateCluster.json", _to_bucket("loggingInfo.brokerLogs.s3", MSK_TO_S3)),
    ("cloudtrail/kafka-CreateClusterV2.json", _to_bucket("provisioned.loggingInfo.brokerLogs.s3", MSK_TO_S3)),
    ("cloudtrail/kafka-UpdateMonitoring.json", _to_bucket("loggingInfo.brokerLogs.s3", MSK_TO_S3)),
    ("cloudtrail/codebuild-CreateProject.json", _to_bucket("logsConfig.s3Logs", BUILDS_TO_S3)),
    ("cloudtrail/codebuild-UpdateProject.json", _to_bucket("logsConfig.s3Logs", BUILDS_TO_S3)),
]  # fmt: skip


def test_every_call_that_names_a_log_destination_has_a_case_below():
    calls = {(t.event_source, name) for t in LOG_DESTINATION_TRIGGERS for name in t.event_names}
    details = [load_event(sample)["detail"] for sample, _ in DESTINATION_SAMPLES]
    assert calls == {(d["eventSource"], d["eventName"]) for d in details}


@pytest.mark.parametrize(("sample", "set_bucket"), DESTINATION_SAMPLES)
def test_a_bucket_named_only_as_a_log_destination_is_judged_without_archiving_what_is_not_found(sample, set_bucket):
    """The bucket may be another account's (a central log archive): not finding it here says nothing of our finding."""
    event = load_event(sample)
    if set_bucket:
        set_bucket(event["detail"]["requestParameters"])
    targets = route(event)
    bucket_targets = [t for t in targets if set(LOG_DESTINATION_TRIGGERS) <= set(t.control.cloudtrail_triggers)]
    assert bucket_targets and not [t for t in bucket_targets if t.archive_missing], sample


def test_a_source_naming_another_regions_bucket_first_does_not_hide_the_ones_after_it(aws):
    aws("s3").create_bucket(Bucket="trail-logs")
    aws("s3", "eu-west-1").create_bucket(
        Bucket="eu-logs", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    aws("cloudtrail").create_trail(Name="a-eu-trail", S3BucketName="eu-logs")
    aws("cloudtrail").create_trail(Name="b-main", S3BucketName="trail-logs")
    listed = [t["Name"] for t in aws("cloudtrail").describe_trails()["trailList"]]
    assert listed == ["a-eu-trail", "b-main"]  # the other region's bucket first, as the case needs
    found = LogBuckets(Clients(REGION, config=NO_RETRY), REGION).sources(kinds=("trail",))
    assert found == {"trail-logs": {"trail": ["b-main"]}}


def _stubbed(service: str, region: str = REGION) -> tuple[object, Stubber]:
    client = boto3.client(service, region_name=region, aws_access_key_id="x", aws_secret_access_key="y")
    return client, Stubber(client)


@pytest.mark.parametrize("refusal", ["ClusterNotFound", "AccessDenied"])
def test_a_redshift_cluster_gone_since_the_listing_or_denied_is_passed_over_and_the_next_is_read(refusal):
    redshift, stub = _stubbed("redshift")
    stub.add_response("describe_clusters", {"Clusters": [{"ClusterIdentifier": "gone"}, {"ClusterIdentifier": "dw"}]})
    stub.add_client_error("describe_logging_status", refusal, expected_params={"ClusterIdentifier": "gone"})
    logging = {"LoggingEnabled": True, "BucketName": "audit-logs", "LogDestinationType": "s3"}
    stub.add_response("describe_logging_status", logging, {"ClusterIdentifier": "dw"})
    with stub:
        found = list(LogBuckets(lambda service, region=None: redshift, REGION)._redshift())
    stub.assert_no_pending_responses()
    assert found == [("audit-logs", "dw")]


@pytest.mark.parametrize("refusal", ["ResourceNotFoundException", "AccessDeniedException"])
def test_a_firewall_gone_since_the_listing_or_denied_is_passed_over_and_the_next_is_read(refusal):
    firewall, stub = _stubbed("network-firewall")
    arns = [f"arn:aws:network-firewall:{REGION}:123456789012:firewall/{name}" for name in ("gone", "edge")]
    listed = [{"FirewallName": name, "FirewallArn": arn} for name, arn in zip(("gone", "edge"), arns, strict=True)]
    stub.add_response("list_firewalls", {"Firewalls": listed})
    stub.add_client_error("describe_logging_configuration", refusal, expected_params={"FirewallArn": arns[0]})
    to_s3 = {"LogType": "FLOW", "LogDestinationType": "S3", "LogDestination": {"bucketName": "firewall-logs"}}
    found = {"FirewallArn": arns[1], "LoggingConfiguration": {"LogDestinationConfigs": [to_s3]}}
    stub.add_response("describe_logging_configuration", found, {"FirewallArn": arns[1]})
    with stub:
        read = list(LogBuckets(lambda service, region=None: firewall, REGION)._network_firewall())
    stub.assert_no_pending_responses()
    assert read == [("firewall-logs", "edge")]


@pytest.mark.parametrize(("read", "operation"), [("logging", "get_bucket_logging"), ("policy", "get_bucket_policy")])
def test_a_denied_read_of_a_bucket_is_asked_once_and_its_denial_given_again(read, operation):
    """The trail and access-log searches and the bucket's own judgement may each ask; AWS is asked once."""
    s3, stub = _stubbed("s3")
    stub.add_client_error(operation, "AccessDenied", expected_params={"Bucket": "locked"})
    buckets = LogBuckets(lambda service, region=None: s3, REGION)
    with stub:
        for _ in range(2):
            with pytest.raises(ClientError) as raised:
                getattr(buckets, read)("locked")
            assert raised.value.response["Error"]["Code"] == "AccessDenied"
    stub.assert_no_pending_responses()


def test_a_bucket_whose_logging_read_is_denied_hides_none_of_the_access_log_buckets_after_it():
    s3, stub = _stubbed("s3")
    listed = [{"Name": name} for name in ("locked", "app", "access-logs")]
    stub.add_response("list_buckets", {"Buckets": listed}, {"BucketRegion": REGION})
    stub.add_client_error("get_bucket_logging", "AccessDenied", expected_params={"Bucket": "locked"})
    logs_to = {"LoggingEnabled": {"TargetBucket": "access-logs", "TargetPrefix": "app/"}}
    stub.add_response("get_bucket_logging", logs_to, {"Bucket": "app"})
    stub.add_response("get_bucket_logging", {}, {"Bucket": "access-logs"})
    with stub:
        found = LogBuckets(lambda service, region=None: s3, REGION).sources(kinds=("access_log",))
    stub.assert_no_pending_responses()
    assert found == {"access-logs": {"access_log": ["app"]}}


def test_a_denied_web_acl_hides_none_of_the_web_acls_after_it():
    wafv2, stub = _stubbed("wafv2", "eu-west-1")  # REGIONAL web ACLs only
    arns = [f"arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/{name}/a1b2" for name in ("locked", "orders")]
    listed = [{"Name": name, "Id": "a1b2", "ARN": arn} for name, arn in zip(("locked", "orders"), arns, strict=True)]
    stub.add_response("list_web_acls", {"WebACLs": listed}, {"Scope": "REGIONAL", "Limit": 100})
    stub.add_client_error(
        "get_logging_configuration", "AccessDeniedException", expected_params={"ResourceArn": arns[0]}
    )
    to_s3 = {"ResourceArn": arns[1], "LogDestinationConfigs": ["arn:aws:s3:::aws-waf-logs-orders"]}
    stub.add_response("get_logging_configuration", {"LoggingConfiguration": to_s3}, {"ResourceArn": arns[1]})
    with stub:
        found = list(LogBuckets(lambda service, region=None: wafv2, "eu-west-1")._waf())
    stub.assert_no_pending_responses()
    assert found == [("aws-waf-logs-orders", "orders")]


def test_codebuild_projects_are_read_a_hundred_to_a_call_the_most_batch_get_projects_takes():
    codebuild, stub = _stubbed("codebuild")
    names = [f"build-{i:03}" for i in range(101)]
    stub.add_response("list_projects", {"projects": names})
    stub.add_response("batch_get_projects", {"projects": []}, {"names": names[:100]})
    logging = {"s3Logs": {"status": "ENABLED", "location": "build-logs/orders"}}
    stub.add_response(
        "batch_get_projects", {"projects": [{"name": names[100], "logsConfig": logging}]}, {"names": names[100:]}
    )
    with stub:
        found = list(LogBuckets(lambda service, region=None: codebuild, REGION)._codebuild())
    stub.assert_no_pending_responses()
    assert found == [("build-logs", "build-100")]


def test_a_load_balancer_whose_access_logs_are_off_sends_none_to_the_bucket_it_still_names():
    """Turning access logs off leaves the bucket attribute as it was (Elastic Load Balancing keeps it)."""
    elbv2, stub = _stubbed("elbv2")
    arn = f"arn:aws:elasticloadbalancing:{REGION}:123456789012:loadbalancer/app/orders/50dc6c495c0c9188"
    stub.add_response("describe_load_balancers", {"LoadBalancers": [{"LoadBalancerArn": arn, "Type": "application"}]})
    off = [{"Key": "access_logs.s3.enabled", "Value": "false"}, {"Key": "access_logs.s3.bucket", "Value": "old-logs"}]
    stub.add_response("describe_load_balancer_attributes", {"Attributes": off}, {"LoadBalancerArn": arn})
    with stub:
        assert list(LogBuckets(lambda service, region=None: elbv2, REGION)._elbv2()) == []
    stub.assert_no_pending_responses()


def test_a_classic_load_balancer_whose_access_logs_are_off_sends_none_to_the_bucket_it_still_names():
    elb, stub = _stubbed("elb")
    stub.add_response("describe_load_balancers", {"LoadBalancerDescriptions": [{"LoadBalancerName": "legacy"}]})
    off = {"AccessLog": {"Enabled": False, "S3BucketName": "old-logs", "EmitInterval": 60}}
    stub.add_response(
        "describe_load_balancer_attributes", {"LoadBalancerAttributes": off}, {"LoadBalancerName": "legacy"}
    )
    with stub:
        assert list(LogBuckets(lambda service, region=None: elb, REGION)._elb()) == []
    stub.assert_no_pending_responses()


def test_an_accelerator_whose_flow_logs_are_off_sends_none_to_the_bucket_it_still_names():
    accelerator, stub = _stubbed("globalaccelerator", "us-west-2")
    s3, s3_stub = _stubbed("s3")
    s3_stub.add_response("list_buckets", {"Buckets": [{"Name": "old-flow-logs"}]}, {"BucketRegion": REGION})
    arn = "arn:aws:globalaccelerator::123456789012:accelerator/1234abcd-abcd-1234-abcd-1234abcdefgh"
    stub.add_response("list_accelerators", {"Accelerators": [{"AcceleratorArn": arn, "Name": "edge"}]})
    off = {"FlowLogsEnabled": False, "FlowLogsS3Bucket": "old-flow-logs", "FlowLogsS3Prefix": "edge/"}
    stub.add_response("describe_accelerator_attributes", {"AcceleratorAttributes": off}, {"AcceleratorArn": arn})
    stub.add_response("list_custom_routing_accelerators", {"Accelerators": []})
    clients = {"s3": s3, "globalaccelerator": accelerator}
    with stub, s3_stub:
        assert list(LogBuckets(lambda service, region=None: clients[service], REGION)._global_accelerator()) == []
    stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    "status",
    [
        {"LoggingEnabled": False, "BucketName": "old-audit", "LogDestinationType": "s3"},  # turned off
        {"LoggingEnabled": True, "BucketName": "old-audit", "LogDestinationType": "cloudwatch"},  # moved
    ],
)
def test_a_redshift_cluster_logging_elsewhere_or_not_at_all_sends_none_to_the_bucket_it_still_names(status):
    redshift, stub = _stubbed("redshift")
    stub.add_response("describe_clusters", {"Clusters": [{"ClusterIdentifier": "dw"}]})
    stub.add_response("describe_logging_status", status, {"ClusterIdentifier": "dw"})
    with stub:
        assert list(LogBuckets(lambda service, region=None: redshift, REGION)._redshift()) == []
    stub.assert_no_pending_responses()


def test_a_bucket_logging_into_itself_makes_no_log_bucket():
    """Server access logs written into the bucket they describe are a fault of that bucket, judged as such."""
    s3, stub = _stubbed("s3")
    stub.add_response("list_buckets", {"Buckets": [{"Name": "app-data"}]}, {"BucketRegion": REGION})
    into_itself = {"LoggingEnabled": {"TargetBucket": "app-data", "TargetPrefix": "logs/"}}
    stub.add_response("get_bucket_logging", into_itself, {"Bucket": "app-data"})
    with stub:
        assert LogBuckets(lambda service, region=None: s3, REGION).sources(kinds=("access_log",)) == {}
    stub.assert_no_pending_responses()
