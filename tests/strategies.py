"""Hypothesis strategies for tests/test_never_destructive.py: one per control with a fix.

Each draws a `Case`: a Resource whose state has exactly the shape that control's collect() builds (the
shapes of the hand-made resources in tests/controls/), every parameter the control declares, and the log
groups and Resolver query log configurations that `ReadOnlyClients` answers the fixes' reads with. Names
come from small pools, so the cases that matter turn up often: a bucket that is its own access_log_bucket,
a trail that already has the configured key, a flow log or query log configuration to the configured
destination, a log group that exists already (or one whose name only shares the destination's prefix).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from logbaseline.aws import partition
from logbaseline.controls import load
from logbaseline.controls._vpcs import vpc_arn
from logbaseline.controls.cloudtrail_bucket_not_public import BLOCKS
from logbaseline.controls.cloudtrail_lake_retention_bounded import MAX_RETENTION, event_data_store_arn
from logbaseline.controls.eks_control_plane_audit_logging_enabled import cluster_arn
from logbaseline.controls.elb_access_logs_enabled import lb_arn
from logbaseline.controls.logs_log_group_retention_bounded import RETENTION_DAYS, log_group_arn
from logbaseline.controls.vpc_dns_query_logging_enabled import CONFIG_NAME
from logbaseline.controls.vpc_flow_logs_enabled import TRAFFIC_TYPE
from logbaseline.models import Resource, Scope

ME, OTHER = "123456789012", "210987654321"
ACCOUNTS = st.sampled_from((ME, OTHER))
REGIONS = st.sampled_from(("us-east-1", "eu-west-1", "us-gov-west-1", "cn-north-1"))
DAYS = st.sampled_from(RETENTION_DAYS)
RETENTION = st.none() | DAYS  # None: never expire
BUCKETS = st.sampled_from(("trail-logs", "access-logs", "elb-logs", "dns-logs")) | st.from_regex(
    r"[a-z0-9][a-z0-9.-]{1,8}[a-z0-9]", fullmatch=True
)
# "/logbaseline/flow-logs" is a prefix of "/logbaseline/flow-logs-old": DescribeLogGroups answers both for it.
LOG_GROUPS = st.sampled_from(("/logbaseline/flow-logs", "/logbaseline/flow-logs-old", "/logbaseline/dns", "app"))
PREFIXES = st.sampled_from(("", "logs/", "s3-access-logs/", "elb-access-logs"))
KMS_KEYS = st.sampled_from(tuple(f"arn:aws:kms:us-east-1:{ME}:key/{k}" for k in ("1111-aaaa", "2222-bbbb")))
QUERY_LOG_CONFIGS = st.sampled_from(("rqlc-1", "rqlc-2", "rqlc-3"))
ROLE = f"arn:aws:iam::{ME}:role/flow-logs"
STATUS_WORDS = st.none() | st.sampled_from(("Access error", "Rate limited"))


def mostly(common: st.SearchStrategy[Any], rare: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Three draws in four from `common`: the states a fix acts on, without losing those it refuses."""
    return st.integers(0, 3).flatmap(lambda i: rare if i == 1 else common)  # not 0 or 3: boundaries come often


@dataclass(frozen=True)
class Case:
    resource: Resource
    params: Mapping[str, Any]
    log_groups: Mapping[str, int | None] = field(default_factory=dict)  # name -> retentionInDays (None: never)
    # The account's Resolver query log configurations, as ListResolverQueryLogConfigs lists them.
    query_log_configs: tuple[Mapping[str, Any], ...] = ()


class ReadOnlyClients:
    """Stands in for Clients in remediate(): a read-only fake, shared by every control's property.

    It answers only the two reads fixes make: logs DescribeLogGroups (through read_log_groups, for a
    CloudWatch Logs destination), from the case's canned `log_groups`, filtered by logGroupNamePrefix as
    AWS does; and route53resolver ListResolverQueryLogConfigs (the DNS fix looking for the configuration
    it created before), from `query_log_configs`, filtered by a Name filter as AWS does. Two items a page.
    Anything else raises AssertionError: a fix reads nothing else, and writes only through Changes.call,
    which in dry-run records the call and makes none.
    """

    def __init__(
        self,
        region: str,
        log_groups: Mapping[str, int | None],
        query_log_configs: tuple[Mapping[str, Any], ...] = (),
    ):
        self.region, self.log_groups, self.query_log_configs = region, dict(log_groups), query_log_configs
        self.reads: list[tuple[str, str]] = []

    def __call__(self, service: str, region: str | None = None) -> Any:
        assert service in ("logs", "route53resolver"), f"the fix reads through clients({service!r}): not faked"
        assert region in (None, self.region), f"the fix reads {service} in {region}, not in {self.region}"
        return _ReadOnlyLogs(self) if service == "logs" else _ReadOnlyResolver(self)


class _ReadOnlyResolver:
    def __init__(self, owner: ReadOnlyClients):
        self._owner = owner

    def get_paginator(self, operation: str) -> _ReadOnlyResolver:
        assert operation == "list_resolver_query_log_configs", f"the fix reads route53resolver {operation}"
        return self

    def paginate(self, **query: Any) -> list[dict[str, Any]]:
        filters = query.get("Filters", [])
        assert set(query) <= {"Filters"} and all(f["Name"] == "Name" for f in filters), query
        names = {value for f in filters for value in f["Values"]}
        self._owner.reads.append(("list_resolver_query_log_configs", ",".join(sorted(names))))
        found = [dict(c) for c in self._owner.query_log_configs if not names or c["Name"] in names]
        return [{"ResolverQueryLogConfigs": found[i : i + 2]} for i in range(0, len(found), 2)] or [
            {"ResolverQueryLogConfigs": []}
        ]

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the fix called route53resolver {name} on the client, not through Changes.call")


class _ReadOnlyLogs:
    def __init__(self, owner: ReadOnlyClients):
        self._owner = owner

    def get_paginator(self, operation: str) -> _ReadOnlyLogs:
        assert operation == "describe_log_groups", f"the fix reads logs {operation}"
        return self

    def paginate(self, **query: Any) -> list[dict[str, Any]]:
        assert set(query) <= {"logGroupNamePrefix"}, query
        prefix = query.get("logGroupNamePrefix", "")
        self._owner.reads.append(("describe_log_groups", prefix))
        groups = [
            {"logGroupName": name} | ({"retentionInDays": days} if days is not None else {})
            for name, days in sorted(self._owner.log_groups.items())
            if name.startswith(prefix)
        ]
        return [{"logGroups": groups[i : i + 2]} for i in range(0, len(groups), 2)] or [{"logGroups": []}]

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the fix called logs {name} on the client, not through Changes.call")


# --- parameters ------------------------------------------------------------------------------------


def s3_arn(region: str, bucket: str, prefix: str = "") -> str:
    return f"arn:{partition(region)}:s3:::{bucket}" + (f"/{prefix}" if prefix else "")


def log_group_arn_in(region: str, account: str, name: str) -> str:
    return f"arn:{partition(region)}:logs:{region}:{account}:log-group:{name}"


def flow_log_destinations(account: str, region: str) -> st.SearchStrategy[str]:
    """The documented forms: an S3 bucket ARN (with a prefix or not), a log group name (or its own ARN); empty."""
    given = st.one_of(
        st.builds(lambda b, p: s3_arn(region, b, p), BUCKETS, st.sampled_from(("", "flow/"))),
        LOG_GROUPS,
        LOG_GROUPS.map(lambda name: log_group_arn_in(region, account, name)),
    )
    return mostly(given, st.just(""))


def query_log_destinations(account: str, region: str) -> st.SearchStrategy[str]:
    """S3, a log group of this region (with or without :*), Firehose; less often empty, a log group of
    another region, or a bare bucket name (not an ARN)."""
    usable = st.one_of(
        BUCKETS.map(lambda b: s3_arn(region, b)),
        st.builds(
            lambda name, star: log_group_arn_in(region, account, name) + star, LOG_GROUPS, st.sampled_from(("", ":*"))
        ),
        st.just(f"arn:{partition(region)}:firehose:{region}:{account}:deliverystream/dns"),
    )
    unusable = st.just("") | LOG_GROUPS.map(lambda name: log_group_arn_in("ap-south-1", account, name)) | BUCKETS
    return mostly(usable, unusable)


def parameter_strategies(account: str, region: str) -> dict[str, st.SearchStrategy[Any]]:
    return {
        "retention_floor_days": DAYS,
        "retention_ceiling_days": DAYS,
        "flow_log_traffic_type": st.sampled_from(TRAFFIC_TYPE.allowed),
        "flow_log_destination": flow_log_destinations(account, region),
        "flow_log_delivery_role_arn": mostly(st.just(ROLE), st.just("")),
        "log_group_kms_key_arn": st.just("") | KMS_KEYS,
        "query_log_config_id": st.just("") | QUERY_LOG_CONFIGS,
        "query_log_destination_arn": query_log_destinations(account, region),
        "elb_access_log_bucket": mostly(BUCKETS | BUCKETS.map(lambda b: s3_arn(region, b)), st.just("")),
        "elb_access_log_prefix": PREFIXES,
        "access_log_bucket": mostly(
            BUCKETS | BUCKETS.map(lambda b: s3_arn(region, b)) | BUCKETS.map(lambda b: s3_arn(region, b, "x/")),
            st.just(""),
        ),
        "access_log_prefix": PREFIXES,
        "access_logging_scope": st.sampled_from(("log-buckets", "all-buckets")),
        "cloudtrail_kms_key_arn": mostly(KMS_KEYS, st.just("")),
        "organization_id": st.sampled_from(("", "o-a1b2c3d4e5")),
        "accounts": st.sampled_from(("", "organization", "111122223333,444455556666")),
        "security_alarm_topic_arn": mostly(st.sampled_from(ALARM_TOPICS[:2]), st.just("")),
    }


# A topic with a confirmed subscriber, one whose only subscription is pending, one whose subscriptions are unreadable.
ALARM_TOPICS = tuple(f"arn:aws:sns:us-east-1:{ME}:{name}" for name in ("alarms", "pending", "unreadable"))


def params_of(control_id: str, account: str, region: str) -> st.SearchStrategy[dict[str, Any]]:
    """Every parameter the control declares (a KeyError here: a new parameter needs a strategy)."""
    strategies = parameter_strategies(account, region)
    return st.fixed_dictionaries({p.name: strategies[p.name] for p in load(control_id).parameters})


# --- resource states, as each collect() builds them ------------------------------------------------


def bucket_resource(account: str, region: str, name: str, state: dict[str, Any]) -> Resource:
    return Resource(account, region, f"arn:{partition(region)}:s3:::{name}", {"name": name} | state)


def trail_resource(account: str, region: str, name: str, state: dict[str, Any]) -> Resource:
    arn = f"arn:{partition(region)}:cloudtrail:{region}:{account}:trail/{name}"
    return Resource(account, region, arn, {"name": name} | state)


def account_resource(account: str, region: str, state: dict[str, Any]) -> Resource:
    return Resource(account, region, f"AWS::::Account:{account}", state)


TRAIL_NAMES = st.sampled_from(("management-events", "main", "audit"))
SOURCES = st.dictionaries(
    st.sampled_from(("trail", "resolver", "flow_log", "elb", "elbv2", "access_log")),
    st.lists(
        st.sampled_from(("main", "fl-1", "rqlc-1", "orders-alb", "app-data")), min_size=1, max_size=2, unique=True
    ),
    max_size=3,
)
LOGGING = mostly(st.none(), st.fixed_dictionaries({"TargetBucket": BUCKETS, "TargetPrefix": PREFIXES}))


def _retention(draw: Any, account: str, region: str) -> Case:
    name = draw(LOG_GROUPS)
    arn = log_group_arn(Scope(account, region, name))
    return Case(Resource(account, region, arn, {"name": name, "retention_in_days": draw(RETENTION)}), {})


def _flow_log(draw: Any, account: str, region: str) -> dict[str, Any]:
    to_s3 = draw(st.booleans())
    destination = draw(BUCKETS.map(lambda b: s3_arn(region, b))) if to_s3 else None
    return {
        "id": draw(st.sampled_from(("fl-1", "fl-2", "fl-3"))),
        "traffic_type": draw(st.sampled_from(TRAFFIC_TYPE.allowed)),
        "status": "ACTIVE",
        "delivery_status": draw(st.sampled_from(("SUCCESS", "FAILED", None))),
        "delivery_error": draw(STATUS_WORDS),
        "destination": destination,
        "log_group": None if to_s3 else draw(LOG_GROUPS),
    }


def _vpc(account: str, region: str, vpc_id: str, state: dict[str, Any]) -> Resource:
    return Resource(account, region, vpc_arn(Scope(account, region, vpc_id)), {"vpc_id": vpc_id} | state)


VPC_IDS = st.sampled_from(("vpc-1", "vpc-0a1b2c3d4e5f67890"))
CANNED_LOG_GROUPS = st.dictionaries(LOG_GROUPS, RETENTION, max_size=3)


def _flow_logs(draw: Any, account: str, region: str) -> Case:
    logs = [_flow_log(draw, account, region) for _ in range(draw(st.integers(0, 3)))]
    return Case(_vpc(account, region, draw(VPC_IDS), {"flow_logs": logs}), {}, draw(CANNED_LOG_GROUPS))


def _dns(draw: Any, account: str, region: str) -> Case:
    association = st.fixed_dictionaries(
        {
            "id": st.sampled_from(("rqlca-1", "rqlca-2")),
            "config_id": QUERY_LOG_CONFIGS,
            "status": st.sampled_from(("ACTIVE", "CREATING", "FAILED", "DELETING", "ACTION_NEEDED", "OVERRIDDEN")),
            "error": STATUS_WORDS,
        }
    )
    config = st.fixed_dictionaries(
        {
            "Id": QUERY_LOG_CONFIGS,
            "Name": mostly(st.just(CONFIG_NAME), st.just("org-dns")),
            # A configuration always has a destination (the fix's parameter may be empty; AWS's field never is).
            "DestinationArn": query_log_destinations(account, region).map(lambda d: d.removesuffix(":*")).filter(bool),
            "Status": st.sampled_from(("CREATED", "CREATING", "FAILED", "DELETING")),
            "OwnerId": mostly(st.just(account), st.just(OTHER if account == ME else ME)),  # shared through RAM
        }
    )
    state = {"associations": draw(st.lists(association, max_size=2))}
    configs = tuple(draw(st.lists(config, max_size=2, unique_by=lambda c: c["Id"])))
    return Case(_vpc(account, region, draw(VPC_IDS), state), {}, draw(CANNED_LOG_GROUPS), configs)


def _trails_multi_region(draw: Any, account: str, region: str) -> Case:
    def trail(name: str, owner: str, home: str) -> dict[str, Any]:
        return {
            "arn": f"arn:{partition(home)}:cloudtrail:{home}:{owner}:trail/{name}",
            "name": name,
            "home_region": home,
            "owner_account": owner,
            "organization": draw(st.booleans()),
            "logging": draw(st.booleans()),
            "management_events": draw(
                mostly(st.just(["read", "write"]), st.sets(st.sampled_from(("read", "write"))).map(sorted))
            ),
        }

    keys = st.tuples(TRAIL_NAMES, ACCOUNTS, REGIONS)
    trails = [trail(*key) for key in draw(st.lists(keys, max_size=4, unique=True))]
    return Case(account_resource(account, region, {"trails": trails}), {})


def _config(draw: Any, account: str, region: str) -> Case:
    recorder = st.fixed_dictionaries(
        {
            "name": st.sampled_from(("default", "recorder")),
            "recording": mostly(st.just(False), st.just(True)),
            "last_status": st.sampled_from((None, "Pending", "Success", "Failure", "PENDING", "FAILURE")),
            "last_error": STATUS_WORDS,
            "scope_gap": st.none() | st.just("excludes 1 resource types (AWS::EC2::NetworkInterface)"),
        }
    )
    state = {
        "recorder": draw(mostly(recorder, st.none())),
        "delivery_channel": draw(mostly(st.just(True), st.just(False))),
    }
    return Case(account_resource(account, region, state), {})


def _guardduty(draw: Any, account: str, region: str) -> Case:
    detector = st.fixed_dictionaries(
        {
            "id": st.sampled_from(("d1", "12abc34d567e8fa901bc2d34e56789f0")),
            "status": st.sampled_from(("ENABLED", "DISABLED", None)),
        }
    )
    detectors = draw(st.lists(detector, max_size=2, unique_by=lambda d: d["id"]))
    return Case(account_resource(account, region, {"detectors": detectors}), {})


EKS_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")


def _eks(draw: Any, account: str, region: str) -> Case:
    name = draw(st.sampled_from(("orders-prod", "dev")))
    state = {
        "name": name,
        "status": draw(
            mostly(st.just("ACTIVE"), st.sampled_from(("CREATING", "UPDATING", "DELETING", "FAILED", "PENDING")))
        ),
        "enabled_types": sorted(draw(st.sets(st.sampled_from(EKS_TYPES)))),
    }
    return Case(Resource(account, region, cluster_arn(Scope(account, region, name)), state), {})


def _elb(draw: Any, account: str, region: str) -> Case:
    kind, name = (
        draw(st.sampled_from(("application", "network", "gateway", "classic"))),
        draw(st.sampled_from(("orders-alb", "legacy-web"))),
    )
    enabled = draw(mostly(st.just(False), st.just(True)))
    state = {"kind": kind, "name": name, "enabled": enabled, "bucket": draw(BUCKETS) if enabled else "", "prefix": ""}
    if kind == "classic":
        return Case(Resource(account, region, lb_arn(Scope(account, region, name)), state, "AwsElbLoadBalancer"), {})
    tail = f"{kind[:3]}/{name}/0123456789abcdef"
    arn = f"arn:{partition(region)}:elasticloadbalancing:{region}:{account}:loadbalancer/{tail}"
    return Case(Resource(account, region, arn, state), {})


def _trail_bucket_logging(draw: Any, account: str, region: str) -> Case:
    state = {"trails": draw(st.lists(TRAIL_NAMES, min_size=1, max_size=2, unique=True)), "logging": draw(LOGGING)}
    return Case(bucket_resource(account, region, draw(BUCKETS), state), {})


def _bucket_logging(draw: Any, account: str, region: str) -> Case:
    state = {"sources": draw(SOURCES), "logging": draw(LOGGING)}
    return Case(bucket_resource(account, region, draw(BUCKETS), state), {})


def _lifecycle(draw: Any, account: str, region: str) -> Case:
    rule = st.fixed_dictionaries(
        {"ID": st.sampled_from(("r", "logbaseline-archive-logs")), "Status": st.sampled_from(("Enabled", "Disabled"))},
        optional={
            "Expiration": st.fixed_dictionaries({"Days": DAYS}),
            "Transitions": st.lists(
                st.fixed_dictionaries({"Days": DAYS, "StorageClass": st.sampled_from(("GLACIER", "STANDARD_IA"))}),
                max_size=1,
            ),
        },
    )
    lifecycle = st.fixed_dictionaries(
        {"rules": st.lists(rule, max_size=2), "minimum_size": st.sampled_from(("varies_by_storage_class", None))}
    )
    state = {"sources": draw(SOURCES), "lifecycle": draw(st.none() | lifecycle)}
    return Case(bucket_resource(account, region, draw(BUCKETS), state), {})


def _public_access(draw: Any, account: str, region: str) -> Case:
    state = {
        "trails": draw(st.lists(TRAIL_NAMES, min_size=1, max_size=2, unique=True)),
        "block": {flag: draw(st.booleans()) for flag in BLOCKS},
        "policy_public": draw(st.booleans()),
        "public_grants": sorted(draw(st.sets(st.sampled_from(("READ to AllUsers", "WRITE to AuthenticatedUsers"))))),
    }
    return Case(bucket_resource(account, region, draw(BUCKETS), state), {})


def _log_bucket_public_access(draw: Any, account: str, region: str) -> Case:
    policy_public = draw(st.booleans())
    state = {
        "sources": draw(SOURCES),
        "block": {flag: draw(st.booleans()) for flag in BLOCKS},
        "policy_public": policy_public,
        "policy": '{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]}'
        if policy_public
        else None,
        "public_grants": sorted(draw(st.sets(st.sampled_from(("READ to AllUsers", "WRITE to AuthenticatedUsers"))))),
    }
    return Case(bucket_resource(account, region, draw(BUCKETS), state), {})


def _kms(draw: Any, account: str, region: str) -> Case:
    return Case(
        trail_resource(account, region, draw(TRAIL_NAMES), {"kms_key_id": draw(mostly(st.none(), KMS_KEYS))}), {}
    )


def _validation(draw: Any, account: str, region: str) -> Case:
    return Case(trail_resource(account, region, draw(TRAIL_NAMES), {"log_file_validation": draw(st.booleans())}), {})


def _lake(draw: Any, account: str, region: str) -> Case:
    billing = draw(st.sampled_from(sorted(MAX_RETENTION)))
    state = {
        "name": "org-audit-store",
        "status": draw(st.sampled_from(("ENABLED", "STOPPED_INGESTION", "PENDING_DELETION"))),
        "retention_days": draw(mostly(DAYS.filter(lambda d: d >= 7), st.integers(7, MAX_RETENTION[billing]))),
        "termination_protection": draw(st.booleans()),
        "billing_mode": billing,
    }
    arn = event_data_store_arn(Scope(account, region, "EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE"))
    return Case(Resource(account, region, arn, state), {})


API_LEVELS = st.sampled_from(("OFF", "ERROR", "INFO"))


def _api_execution(draw: Any, account: str, region: str) -> Case:
    """A REST or WebSocket stage: the stage-wide level (or none), method or route overrides, the account's role."""
    kind = draw(mostly(st.just("REST"), st.just("WEBSOCKET")))
    wide = "*/*" if kind == "REST" else "default route"
    keys = ("~1orders/GET", "~1orders/POST", "~1health/GET") if kind == "REST" else ("$connect", "$default", "send")
    levels = draw(st.dictionaries(st.sampled_from(keys), API_LEVELS, max_size=3))
    if kind == "WEBSOCKET" or draw(st.booleans()):  # a REST stage may have no stage-wide setting at all
        levels[wide] = draw(API_LEVELS)
    api_id, stage = draw(st.sampled_from(("h2k8w4n6q1", "a9b8c7d6e5"))), draw(st.sampled_from(("prod", "dev")))
    collection = "restapis" if kind == "REST" else "apis"
    arn = f"arn:{partition(region)}:apigateway:{region}::/{collection}/{api_id}/stages/{stage}"
    role = draw(mostly(st.just(f"arn:{partition(region)}:iam::{account}:role/apigateway-logs"), st.just("")))
    state = {"kind": kind, "api": "orders", "stage": stage, "api_id": api_id, "levels": levels, "cloudwatch_role": role}
    return Case(Resource(account, region, arn, state), {})


def _security_alarms(draw: Any, account: str, region: str) -> Case:
    """Trails (logging or not, all management events or not, a log group or none) whose log groups hold some CIS
    filters (in namespaces of their own), a filter with another pattern under a name the fix would use, alarms
    on some metrics notifying some topics, and alarms already holding the fix's names."""
    from logbaseline.controls._cis_monitoring import CHECKS
    from logbaseline.controls.cloudtrail_security_alarms import alarm_name

    checks = st.sampled_from(CHECKS)
    trails, alarms = [], {}
    for n in range(draw(st.integers(1, 2))):
        namespace = draw(st.sampled_from(("LogMetrics", "CIS")))
        filters = [
            {"name": f"f{n}-{c.metric}", "pattern": c.pattern, "metrics": [f"{namespace}/{c.metric}{n}"]}
            for c in draw(st.lists(checks, unique=True, max_size=14))
        ]
        if draw(st.booleans()):  # a name the fix would give, on another pattern
            taken = draw(checks)
            filters.append(
                {"name": f"logbaseline-{taken.control}-{taken.metric}", "pattern": "{ $.x = 1 }", "metrics": ["X/x"]}
            )
        for metric in draw(
            st.lists(st.sampled_from([m for f in filters for m in f["metrics"]] or ["X/x"]), unique=True)
        ):
            actions = draw(st.lists(st.sampled_from(ALARM_TOPICS), max_size=2))
            alarms[metric] = [{"name": f"a-{metric}", "enabled": draw(st.booleans()), "actions": actions}]
        trails.append({
            "arn": f"arn:{partition(region)}:cloudtrail:{region}:{account}:trail/t{n}",
            "logging": draw(mostly(st.just(True), st.just(False))),
            "management": draw(mostly(st.just(["read", "write"]), st.sampled_from((["write"], ["read"], [])))),
            "log_group": draw(mostly(st.sampled_from(("aws-cloudtrail-logs", "trail-logs")), st.none())),
            "filters": filters,
        })  # fmt: skip
    state = {
        "trails": trails,
        "alarms": alarms,
        "subscribers": dict(zip(ALARM_TOPICS, (1, 0, None), strict=True)),
        "alarm_names": sorted({alarm_name(c) for c in draw(st.lists(checks, max_size=2))}),
    }
    return Case(account_resource(account, region, state), {})


BUILDERS: dict[str, Callable[[Any, str, str], Case]] = {
    "logs_log_group_retention_bounded": _retention,
    "vpc_flow_logs_enabled": _flow_logs,
    "cloudtrail_multi_region_logging": _trails_multi_region,
    "cloudtrail_log_file_validation_enabled": _validation,
    "cloudtrail_kms_encryption_enabled": _kms,
    "eks_control_plane_audit_logging_enabled": _eks,
    "config_recorder_active": _config,
    "guardduty_enabled": _guardduty,
    "vpc_dns_query_logging_enabled": _dns,
    "elb_access_logs_enabled": _elb,
    "cloudtrail_bucket_not_public": _public_access,
    "cloudtrail_bucket_access_logging_enabled": _trail_bucket_logging,
    "s3_log_bucket_lifecycle_bounded": _lifecycle,
    "s3_bucket_server_access_logging_enabled": _bucket_logging,
    "cloudtrail_lake_retention_bounded": _lake,
    "apigateway_execution_logging_enabled": _api_execution,
    "s3_log_bucket_not_public": _log_bucket_public_access,
    "cloudtrail_security_alarms": _security_alarms,
}


Overrides = Callable[[str, str], Mapping[str, st.SearchStrategy[Any]]]


@st.composite
def cases(draw: Any, control_id: str, overrides: Overrides | None = None) -> Case:
    """A case of the control, every parameter drawn; `overrides(account, region)` replaces some strategies."""
    account, region = draw(ACCOUNTS), draw(REGIONS)
    case = BUILDERS[control_id](draw, account, region)
    params = draw(params_of(control_id, account, region))
    params |= {name: draw(strategy) for name, strategy in (overrides or (lambda a, r: {}))(account, region).items()}
    return Case(case.resource, params, case.log_groups, case.query_log_configs)
