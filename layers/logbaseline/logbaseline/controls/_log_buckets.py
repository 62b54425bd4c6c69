"""Log buckets: the S3 buckets AWS services deliver logs to, shared by the S3 log-bucket controls.

A bucket is global but lives in one region. Each bucket is judged once: in the scope of its own
region, and only in the account that owns it. ListBuckets lists only the caller's own buckets, and
its BucketRegion filter keeps the scope's region; so a central organization log bucket in another
account is never judged here, and no GetBucketLocation is needed. A trail of another account (not an
organization trail) is not in this account's DescribeTrails: the bucket policy that lets CloudTrail
deliver for it names it, and makes the bucket a trail bucket here (`other_accounts_trails`).

Log sources are read in the scope's region: its trails (shadow copies included, so every multi-region and
organization trail counts), VPC flow logs to S3, WAF web ACL logs to S3 (the CLOUDFRONT web ACLs read in us-east-1
only), Classic and v2 load balancer logs, Route 53 Resolver query logs, Redshift audit logs, Network Firewall logs,
MSK broker logs and CodeBuild build logs to S3, and the server access logs of its buckets (AWS requires the target
of those, of load balancer, query and Redshift audit logs to be in the source's region). A single-region trail of
another region, a CLOUDFRONT web ACL, a firewall, an MSK cluster or a CodeBuild project that delivers into another
region's bucket is not seen there. CloudFront's standard logs are not read: their bucket may be in any region, and
finding it would take every distribution's configuration in every region's scope. Global Accelerator's flow logs
are: accelerators are few and global, read in us-west-2 (the only region serving their API) from each region's
scope that has buckets of its own, so a flow-log bucket is judged in its own region.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from botocore.exceptions import ClientError

from logbaseline.aws import Clients, partition
from logbaseline.controls._destinations import is_s3_arn
from logbaseline.controls._policies import other_accounts_trails
from logbaseline.controls._trails import BUCKET_ID, TRAIL_BUCKET_PATH, TRAIL_EVENT_SOURCE, describe_trails
from logbaseline.controls.base import Changes, CloudTrailTrigger, FixFailed, Parameter, denied
from logbaseline.controls.globalaccelerator_flow_logs_enabled import EVENT_SOURCE as GLOBAL_ACCELERATOR_EVENTS
from logbaseline.controls.globalaccelerator_flow_logs_enabled import accelerators
from logbaseline.controls.wafv2_web_acl_logging_enabled import logging_configuration, waf_scopes, web_acls
from logbaseline.models import Resource, Scope, Verdict, failed, passed

# Kinds of log source, cheapest to read first: a search for one bucket stops at the first source naming it.
TRAIL, RESOLVER, FLOW_LOG, WAF = "trail", "resolver", "flow_log", "waf"
REDSHIFT, FIREWALL = "redshift", "network_firewall"
MSK, CODEBUILD = "msk", "codebuild"
ELB, ELBV2, ACCESS_LOG = "elb", "elbv2", "access_log"
GLOBAL_ACCELERATOR = "global_accelerator"
KINDS = (TRAIL, RESOLVER, FLOW_LOG, WAF, REDSHIFT, FIREWALL, MSK, CODEBUILD, GLOBAL_ACCELERATOR, ELB, ELBV2, ACCESS_LOG)
DESCRIBED = {
    TRAIL: "CloudTrail trail",
    RESOLVER: "Route 53 Resolver query log config",
    FLOW_LOG: "VPC flow log",
    WAF: "WAF web ACL",
    REDSHIFT: "Redshift cluster",
    FIREWALL: "Network Firewall firewall",
    MSK: "MSK cluster",
    CODEBUILD: "CodeBuild project",
    GLOBAL_ACCELERATOR: "Global Accelerator accelerator",
    ELB: "Classic Load Balancer",
    ELBV2: "load balancer",
    ACCESS_LOG: "server access logs of",
}
# The IAM actions of reading each kind, after ListBuckets (s3:ListAllMyBuckets).
KIND_ACTIONS = {
    TRAIL: ("cloudtrail:DescribeTrails", "s3:GetBucketPolicy"),  # the policy names other accounts' trails
    RESOLVER: ("route53resolver:ListResolverQueryLogConfigs",),
    FLOW_LOG: ("ec2:DescribeFlowLogs",),
    WAF: ("wafv2:ListWebACLs", "wafv2:GetLoggingConfiguration"),  # the WAF control's own reads, shared
    REDSHIFT: ("redshift:DescribeClusters", "redshift:DescribeLoggingStatus"),
    FIREWALL: ("network-firewall:ListFirewalls", "network-firewall:DescribeLoggingConfiguration"),
    MSK: ("kafka:ListClustersV2",),  # the MSK control's own listing, shared
    CODEBUILD: ("codebuild:ListProjects", "codebuild:BatchGetProjects"),  # the CodeBuild controls' own reads, shared
    GLOBAL_ACCELERATOR: (  # the accelerator control's own reads, shared
        "globalaccelerator:ListAccelerators",
        "globalaccelerator:DescribeAcceleratorAttributes",
        "globalaccelerator:ListCustomRoutingAccelerators",
        "globalaccelerator:DescribeCustomRoutingAcceleratorAttributes",
    ),
    ELB: ("elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes"),
    ELBV2: ("elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes"),
    ACCESS_LOG: ("s3:GetBucketLogging",),
}
ALL_SOURCE_ACTIONS = ("s3:ListAllMyBuckets", *dict.fromkeys(a for k in KINDS for a in KIND_ACTIONS[k]))

# Calls that make a bucket a log destination: the log-bucket controls judge that bucket at once, not at the next
# sweep. Only S3 destinations are kept (BUCKET_ID): a log group or Firehose stream is not a bucket. A destination
# may be another account's bucket (a central log archive): not found here, nothing is archived (`destination`).
_ELBV2_BUCKETS = "attributes[?key=='access_logs.s3.bucket' || key=='connection_logs.s3.bucket'].value"
LOG_DESTINATION_TRIGGERS = (
    CloudTrailTrigger(
        TRAIL_EVENT_SOURCE, ("CreateTrail", "UpdateTrail"), TRAIL_BUCKET_PATH, BUCKET_ID, destination=True
    ),
    CloudTrailTrigger(
        "ec2.amazonaws.com",
        ("CreateFlowLogs",),
        "requestParameters.CreateFlowLogsRequest.LogDestination",
        BUCKET_ID,
        destination=True,
    ),
    # The request names the bucket when it sets it; otherwise the response lists every attribute, the bucket too.
    CloudTrailTrigger(
        "elasticloadbalancing.amazonaws.com",
        ("ModifyLoadBalancerAttributes",),
        f"requestParameters.{_ELBV2_BUCKETS} || responseElements.{_ELBV2_BUCKETS} "
        "|| requestParameters.loadBalancerAttributes.accessLog.s3BucketName",
        BUCKET_ID,
        destination=True,
    ),
    CloudTrailTrigger(
        "route53resolver.amazonaws.com",
        ("CreateResolverQueryLogConfig",),
        "requestParameters.destinationArn",
        BUCKET_ID,
        destination=True,
    ),
    CloudTrailTrigger(
        "wafv2.amazonaws.com",
        ("PutLoggingConfiguration",),
        "requestParameters.loggingConfiguration.logDestinationConfigs",
        BUCKET_ID,
        destination=True,
    ),
    CloudTrailTrigger(
        "redshift.amazonaws.com", ("EnableLogging",), "requestParameters.bucketName", BUCKET_ID, destination=True
    ),
    # One destination per call (the API's rule); the record's casing follows the request's members.
    CloudTrailTrigger(
        "network-firewall.amazonaws.com",
        ("UpdateLoggingConfiguration",),
        "requestParameters.loggingConfiguration.logDestinationConfigs[?logDestinationType=='S3'].logDestination"
        ".bucketName",
        BUCKET_ID,
        destination=True,
    ),
    # MSK broker logs: a new cluster's (V2: under provisioned) or a monitoring update's.
    CloudTrailTrigger(
        "kafka.amazonaws.com",
        ("CreateCluster", "CreateClusterV2", "UpdateMonitoring"),
        "[requestParameters.loggingInfo, requestParameters.provisioned.loggingInfo][?brokerLogs.s3.enabled]"
        ".brokerLogs.s3.bucket",
        BUCKET_ID,
        destination=True,
    ),
    CloudTrailTrigger(
        "codebuild.amazonaws.com",
        ("CreateProject", "UpdateProject"),
        "requestParameters.logsConfig.s3Logs.status == 'ENABLED' && requestParameters.logsConfig.s3Logs.location "
        "|| `null`",
        BUCKET_ID,
        destination=True,
    ),
    # Recorded in us-west-2: a flow-log bucket of another region is judged at its region's next sweep.
    CloudTrailTrigger(
        GLOBAL_ACCELERATOR_EVENTS,
        ("UpdateAcceleratorAttributes", "UpdateCustomRoutingAcceleratorAttributes"),
        "requestParameters.flowLogsS3Bucket",
        BUCKET_ID,
        destination=True,
    ),
)

ACCESS_LOG_BUCKET = Parameter(
    "access_log_bucket",
    "",
    "Bucket (name or ARN) that the fix sends server access logs to; AWS requires it in the logged bucket's "
    "account and region, allowing logging.s3.amazonaws.com to write. Empty: no fix.",
)
ACCESS_LOG_PREFIX = Parameter(
    "access_log_prefix", "s3-access-logs/", "Key prefix of the server access logs the fix turns on."
)


def bucket_name(resource_id: str) -> str:
    """A bucket name from its name or ARN (arn:aws:s3:::name, or a log destination arn:aws:s3:::name/prefix)."""
    name = resource_id.split(":::", 1)[1] if resource_id.startswith("arn:") else resource_id
    return name.split("/", 1)[0]


def bucket_arn(scope: Scope) -> str:
    return f"arn:{partition(scope.region)}:s3:::{bucket_name(scope.resource_id or '')}"


def read(clients: Clients, operation: str, missing: tuple[str, ...], **params: Any) -> dict[str, Any] | None:
    """One S3 read of a bucket; None when AWS answers with one of the `missing` error codes."""
    try:
        return getattr(clients("s3"), operation)(**params)
    except ClientError as error:
        if error.response["Error"]["Code"] in missing:
            return None
        raise


def bucket_resource(scope: Scope, name: str, read_state: Callable[[], dict[str, Any]]) -> Resource:
    """One bucket of the scope, its state read by `read_state`. A read that the bucket's own policy denies makes it
    unreadable, reported as its own read failure: the other buckets of the region keep their verdicts."""
    arn = bucket_arn(Scope(scope.account_id, scope.region, name))
    try:
        return Resource(scope.account_id, scope.region, arn, read_state())
    except ClientError as error:
        if not denied(error):
            raise
        return Resource(scope.account_id, scope.region, arn, {"name": name}, unreadable=str(error))


class LogBuckets:
    """The log buckets of one account and region, read lazily and each API at most once."""

    def __init__(self, clients: Clients, region: str, account_id: str = ""):
        self.clients, self.region, self.account_id = clients, region, account_id
        self._owned: list[str] | None = None
        self._wanted: str | None = None
        self._logging: dict[str, dict[str, Any] | None] = {}
        self._policies: dict[str, str | None] = {}
        self._denied: dict[tuple[str, str], ClientError] = {}  # (bucket, read) that its own policy denies to us

    @property
    def owned(self) -> list[str]:
        """This account's buckets in this region."""
        if self._owned is None:
            pages = self.clients("s3").get_paginator("list_buckets").paginate(BucketRegion=self.region)
            self._owned = [b["Name"] for page in pages for b in page.get("Buckets", [])]
        return self._owned

    def logging(self, bucket: str) -> dict[str, Any] | None:
        """The bucket's server access logging ({TargetBucket, TargetPrefix, ...}), or None when off; a denied read
        raises (once read, never asked again)."""
        if (bucket, "logging") in self._denied:
            raise self._denied[bucket, "logging"]
        if bucket not in self._logging:
            try:
                found = read(self.clients, "get_bucket_logging", ("NoSuchBucket",), Bucket=bucket) or {}
            except ClientError as error:
                if denied(error):
                    self._denied[bucket, "logging"] = error
                raise
            self._logging[bucket] = found.get("LoggingEnabled")
        return self._logging[bucket]

    def policy(self, bucket: str) -> str | None:
        """The bucket's policy (JSON), or None; a denied read raises (once read, never asked again)."""
        if (bucket, "policy") in self._denied:
            raise self._denied[bucket, "policy"]
        if bucket not in self._policies:
            try:
                found = read(self.clients, "get_bucket_policy", ("NoSuchBucketPolicy", "NoSuchBucket"), Bucket=bucket)
            except ClientError as error:
                if denied(error):
                    self._denied[bucket, "policy"] = error
                raise
            self._policies[bucket] = (found or {}).get("Policy")
        return self._policies[bucket]

    def sources(self, wanted: str | None = None, kinds: tuple[str, ...] = KINDS) -> dict[str, dict[str, list[str]]]:
        """Log bucket name -> {kind: [source ids]}, for this account's buckets in this region.

        With `wanted` (a bucket name), only that bucket, and reading stops as soon as the answer is known: after
        ListBuckets when it is not this account's bucket in this region, else at the first source naming it (no
        further load balancer, bucket or kind). Its sources are then the first found, not all of them; but kinds
        are read in order, so a bucket found through a later kind is named by no earlier one (one found through
        server access logs, read last, receives no other logs).
        """
        owned = set(self.owned)
        if wanted is not None and wanted not in owned:
            return {}  # another account's bucket, another region's, or none at all
        self._wanted = wanted
        found: dict[str, dict[str, list[str]]] = {}
        for kind in kinds:
            for bucket, source in getattr(self, f"_{kind}")():
                if bucket not in owned or wanted not in (None, bucket):
                    continue
                ids = found.setdefault(bucket, {}).setdefault(kind, [])
                if source not in ids:  # an Application LB may send access and connection logs alike
                    ids.append(source)
                if wanted is not None:
                    return found  # a log bucket: one source says so
        return found

    def _trail(self) -> Iterator[tuple[str, str]]:
        seen = set()
        for trail in describe_trails(self.clients):
            if trail.get("S3BucketName"):
                seen.add(trail["TrailARN"])
                yield trail["S3BucketName"], trail["Name"]
        if not self.account_id:
            return
        # A trail of another account (not an organization trail) is not in this account's DescribeTrails: the policy
        # that lets CloudTrail deliver it here names it, so its bucket is judged here, in the account that owns it.
        for bucket in [self._wanted] if self._wanted else self.owned:
            try:
                policy = self.policy(bucket)
            except ClientError as error:
                if not denied(error):
                    raise
                continue  # that bucket is reported unreadable where it is judged
            for trail in other_accounts_trails(policy, self.account_id):
                if trail not in seen:
                    yield bucket, trail

    def _resolver(self) -> Iterator[tuple[str, str]]:
        pages = self.clients("route53resolver").get_paginator("list_resolver_query_log_configs").paginate()
        for config in (c for page in pages for c in page["ResolverQueryLogConfigs"]):
            if is_s3_arn(config.get("DestinationArn", "")):
                yield bucket_name(config["DestinationArn"]), config["Id"]

    def _flow_log(self) -> Iterator[tuple[str, str]]:
        s3_only = [{"Name": "log-destination-type", "Values": ["s3"]}]
        for page in self.clients("ec2").get_paginator("describe_flow_logs").paginate(Filters=s3_only):
            for log in page["FlowLogs"]:
                if log.get("LogDestinationType") == "s3" and log.get("LogDestination"):
                    yield bucket_name(log["LogDestination"]), log["FlowLogId"]

    def _waf(self) -> Iterator[tuple[str, str]]:
        wafv2 = self.clients("wafv2")
        for waf_scope in waf_scopes(self.region):  # CLOUDFRONT web ACLs: read in us-east-1 only
            for acl in web_acls(wafv2, waf_scope):
                try:
                    logging = logging_configuration(wafv2, acl["ARN"])
                except ClientError as error:
                    if not denied(error):
                        raise
                    continue  # that web ACL is reported unreadable where it is judged
                for destination in logging.get("LogDestinationConfigs") or []:
                    if is_s3_arn(destination):
                        yield bucket_name(destination), acl["Name"]

    def _redshift(self) -> Iterator[tuple[str, str]]:
        redshift = self.clients("redshift")
        for page in redshift.get_paginator("describe_clusters").paginate():
            for cluster in page["Clusters"]:
                name = cluster["ClusterIdentifier"]
                try:
                    status = redshift.describe_logging_status(ClusterIdentifier=name)
                except ClientError as error:
                    if error.response["Error"]["Code"] == "ClusterNotFound" or denied(error):
                        continue  # deleted since the listing, or reported unreadable where it is judged
                    raise
                if status.get("LogDestinationType", "s3") == "s3" and status.get("LoggingEnabled"):
                    if status.get("BucketName"):
                        yield status["BucketName"], name

    def _network_firewall(self) -> Iterator[tuple[str, str]]:
        firewall = self.clients("network-firewall")
        for page in firewall.get_paginator("list_firewalls").paginate():
            for item in page.get("Firewalls", []):
                try:
                    found = firewall.describe_logging_configuration(FirewallArn=item["FirewallArn"])
                except ClientError as error:
                    if error.response["Error"]["Code"] == "ResourceNotFoundException" or denied(error):
                        continue  # deleted since the listing, or reported unreadable where it is judged
                    raise
                for config in (found.get("LoggingConfiguration") or {}).get("LogDestinationConfigs") or []:
                    bucket = (config.get("LogDestination") or {}).get("bucketName")
                    if config.get("LogDestinationType") == "S3" and bucket:
                        yield bucket, item["FirewallName"]

    def _msk(self) -> Iterator[tuple[str, str]]:
        pages = self.clients("kafka").get_paginator("list_clusters_v2").paginate()
        for cluster in (c for page in pages for c in page["ClusterInfoList"]):
            logging = ((cluster.get("Provisioned") or {}).get("LoggingInfo") or {}).get("BrokerLogs") or {}
            s3 = logging.get("S3") or {}
            if s3.get("Enabled") and s3.get("Bucket"):
                yield s3["Bucket"], cluster["ClusterName"]

    def _codebuild(self) -> Iterator[tuple[str, str]]:
        codebuild = self.clients("codebuild")
        names = [n for page in codebuild.get_paginator("list_projects").paginate() for n in page["projects"]]
        for start in range(0, len(names), 100):  # BatchGetProjects takes at most 100 names
            for project in codebuild.batch_get_projects(names=names[start : start + 100])["projects"]:
                s3 = (project.get("logsConfig") or {}).get("s3Logs") or {}
                if s3.get("status") == "ENABLED" and s3.get("location"):  # bucket/prefix, or the bucket's ARN
                    yield bucket_name(s3["location"]), project["name"]

    def _global_accelerator(self) -> Iterator[tuple[str, str]]:
        if not self.owned:
            return  # no bucket of this account here: the global accelerators' buckets are elsewhere
        for _kind, accelerator, attributes in accelerators(self.clients):
            if attributes.get("FlowLogsEnabled") and attributes.get("FlowLogsS3Bucket"):
                yield attributes["FlowLogsS3Bucket"], accelerator.get("Name") or accelerator["AcceleratorArn"]

    def _elb(self) -> Iterator[tuple[str, str]]:
        elb = self.clients("elb")
        for page in elb.get_paginator("describe_load_balancers").paginate():
            for balancer in page["LoadBalancerDescriptions"]:
                name = balancer["LoadBalancerName"]
                log = elb.describe_load_balancer_attributes(LoadBalancerName=name)["LoadBalancerAttributes"]
                if log.get("AccessLog", {}).get("Enabled") and log["AccessLog"].get("S3BucketName"):
                    yield log["AccessLog"]["S3BucketName"], name

    def _elbv2(self) -> Iterator[tuple[str, str]]:
        elbv2 = self.clients("elbv2")
        for page in elbv2.get_paginator("describe_load_balancers").paginate():
            for balancer in page["LoadBalancers"]:
                if balancer.get("Type") == "gateway":
                    continue  # a Gateway Load Balancer writes no logs to S3
                arn = balancer["LoadBalancerArn"]
                found = elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
                attributes = {a["Key"]: a.get("Value") for a in found}
                for logs in ("access_logs.s3", "connection_logs.s3"):  # connection logs: Application LBs
                    if attributes.get(f"{logs}.enabled") == "true" and attributes.get(f"{logs}.bucket"):
                        yield attributes[f"{logs}.bucket"], arn.split(":loadbalancer/", 1)[-1]

    def _access_log(self) -> Iterator[tuple[str, str]]:
        for bucket in self.owned:
            try:
                logging = self.logging(bucket)
            except ClientError as error:
                if not denied(error):
                    raise
                continue  # that bucket is reported unreadable where it is judged; where it logs to is not known
            target = (logging or {}).get("TargetBucket")
            if target and target != bucket:  # logging into itself makes no log bucket: it is a fault
                yield target, bucket


def describe_sources(sources: Mapping[str, list[str]]) -> str:
    """Sources in words, e.g. 'CloudTrail trail main; VPC flow log fl-1, fl-2'."""
    return "; ".join(f"{DESCRIBED[kind]} {', '.join(ids)}" for kind, ids in sources.items())


# --- server access logging, judged and fixed alike for trail buckets and other log buckets -----------


def access_logging_verdict(state: Mapping[str, Any], params: Mapping[str, Any]) -> Verdict:
    name, logging = state["name"], state["logging"]
    if logging and logging.get("TargetBucket") == name:
        return failed("server access logs are delivered into the bucket itself; choosing a target is left to a person")
    if logging:
        return passed(f"server access logs go to {logging['TargetBucket']}/{logging.get('TargetPrefix', '')}")
    target = bucket_name(params[ACCESS_LOG_BUCKET.name])
    blocked = ACCESS_LOG_BUCKET.unset() if not target else ""
    if target == name:
        blocked = (
            f"{name} is the {ACCESS_LOG_BUCKET.name} itself ({ACCESS_LOG_BUCKET.variable}): it must not log into itself"
        )
    return failed("server access logging is off", fixable=True, blocked=blocked)


def enable_access_logging(changes: Changes, resource: Resource, params: Mapping[str, Any]) -> None:
    name, target = resource.state["name"], bucket_name(params[ACCESS_LOG_BUCKET.name])
    if not target:
        raise FixFailed("no access_log_bucket is configured")
    if target == name:
        raise FixFailed(f"refused: {name} is the access_log_bucket itself, and a bucket must not log into itself")
    if resource.state["logging"]:
        raise FixFailed("refused: server access logging is already on; its target is left as it is")
    changes.call(
        "s3",
        "put_bucket_logging",
        Bucket=name,
        ExpectedBucketOwner=resource.account_id,
        BucketLoggingStatus={
            "LoggingEnabled": {
                "TargetBucket": target,
                "TargetPrefix": params[ACCESS_LOG_PREFIX.name],
                # <prefix><account>/<region>/<bucket>/<yyyy>/<mm>/<dd>/...: each logged bucket apart.
                "TargetObjectKeyFormat": {"PartitionedPrefix": {"PartitionDateSource": "EventTime"}},
            }
        },
    )
