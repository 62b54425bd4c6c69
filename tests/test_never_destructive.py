"""Remediation a security team can trust: over generated states and parameters, no fix ever destroys.

For every control with a fix, `remediate(Changes(clients, dry_run=True), resource, params)` either raises
FixFailed or records only safe changes (see `assert_safe`), and a fix applied once is not applied again.
The changes are checked even when the fix raises FixFailed: in auto mode the ones before it are made.

States and parameters come from tests/strategies.py. remediate() reads only through `ReadOnlyClients`, a
fake that answers logs DescribeLogGroups from the generated log groups and refuses anything else; the
moto round at the end checks that fake against the emulator's real answers.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import replace
from functools import cache
from typing import Any

import botocore.session
import pytest
from botocore import xform_name
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, Phase, assume, event, given, settings
from hypothesis import strategies as st
from logbaseline import emulator
from logbaseline.aws import AUTHORIZED_AS, Clients
from logbaseline.controls import all_controls, load
from logbaseline.controls.base import Change, Changes, Control, FixFailed
from logbaseline.models import Resource, Status

from tests.conftest import NO_RETRY
from tests.strategies import BUILDERS, LOG_GROUPS, ME, OTHER, ROLE, Case, ReadOnlyClients, cases

FIXES = sorted(BUILDERS)
READERS = {"vpc_flow_logs_enabled", "vpc_dns_query_logging_enabled"}  # the only fixes that read (log groups)
FLOW, DNS, TRAILS = "vpc_flow_logs_enabled", "vpc_dns_query_logging_enabled", "cloudtrail_multi_region_logging"
NEW_QUERY_LOG_CONFIG_NAME = "logbaseline-query-logs"
NEW_QUERY_LOG_CONFIG = f"(the new {NEW_QUERY_LOG_CONFIG_NAME})"  # the id a dry-run association names: no id yet
EXAMPLES = settings(max_examples=100, deadline=None)


def remediate(control: Control, case: Case) -> tuple[list[Change], ReadOnlyClients, FixFailed | None]:
    clients = ReadOnlyClients(case.resource.region, case.log_groups, case.query_log_configs)
    changes = Changes(clients, dry_run=True)  # type: ignore[arg-type]
    try:
        control.remediate(changes, case.resource, case.params)  # type: ignore[misc]
    except FixFailed as refused:
        return changes.made, clients, refused
    return changes.made, clients, None


# --- what "safe" means -------------------------------------------------------------------------------

DESTRUCTIVE_PREFIXES = ("delete_", "stop_", "disable_", "disassociate_", "remove_")
S3_ACTIONS = {
    "put_public_access_block": "PutBucketPublicAccessBlock",
    "put_bucket_lifecycle_configuration": "PutLifecycleConfiguration",
}
IAM_PREFIX = {"elbv2": "elasticloadbalancing", "elb": "elasticloadbalancing"}


def iam_action(change: Change) -> str:
    name = S3_ACTIONS.get(change.operation) if change.service == "s3" else None
    action = f"{IAM_PREFIX.get(change.service, change.service)}:{name or change.operation.title().replace('_', '')}"
    return AUTHORIZED_AS.get(action, action)  # API Gateway authorizes by HTTP method: UpdateStage is PATCH


@cache
def operations(service: str) -> dict[str, Any]:
    model = botocore.session.get_session().get_service_model(service)
    return {xform_name(name): model.operation_model(name) for name in model.operation_names}


def malformed(change: Change) -> str:
    """Why botocore would refuse the call before sending it ("" when it is a well-formed request)."""
    operation = operations(change.service).get(change.operation)
    if operation is None:
        return f"{change.service} has no operation {change.operation}"
    report = ParamValidator().validate(dict(change.parameters), operation.input_shape)
    return report.generate_report() if report.has_errors() else ""


def bucket_of(name_or_arn: str) -> str:
    """A bucket named as in the parameters: name, arn:PARTITION:s3:::name or arn:PARTITION:s3:::name/prefix."""
    return name_or_arn.split(":::", 1)[-1].split("/", 1)[0]


def deep_keys(value: Any) -> set[str]:
    if isinstance(value, Mapping):
        return set(value) | {k for v in value.values() for k in deep_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in deep_keys(v)}
    return set()


def assert_log_group_calls(case: Case, made: list[Change], configured: tuple[str, str, str] | None) -> None:
    """Only a missing, configured log group (account, region, name) is created, then given the floor at once."""
    logs = [c for c in made if c.service == "logs"]
    created: set[str] = set()
    for change in logs:
        name, account = change.parameters["logGroupName"], case.resource.account_id
        assert configured == (account, change.region, name), f"{change} is not the configured log group {configured}"
        if change.operation == "create_log_group":
            assert name not in case.log_groups, f"{change}: the group exists already"
            kms = case.params["log_group_kms_key_arn"]
            assert change.parameters == {"logGroupName": name} | ({"kmsKeyId": kms} if kms else {})
            created.add(name)
        else:
            assert change.operation == "put_retention_policy", change
            days, current = change.parameters["retentionInDays"], case.log_groups.get(name)
            assert days == case.params["retention_floor_days"] and (current is None or days >= current), change
            assert name in created, f"{change}: only a group the fix just created gets a retention"


def configured_log_group(case: Case, destination: str) -> tuple[str, str, str] | None:
    """(account, region, name) of a log group destination given by name (this account and region) or ARN."""
    if not destination:
        return None  # empty: no destination is configured
    if not destination.startswith("arn:"):
        return case.resource.account_id, case.resource.region, destination
    parts = destination.removesuffix(":*").split(":", 6)
    return (parts[4], parts[3], parts[6]) if parts[2:3] == ["logs"] and parts[5:6] == ["log-group"] else None


def check_retention(case: Case, made: list[Change]) -> None:
    state, floor = case.resource.state, case.params["retention_floor_days"]
    for change in made:
        assert (change.operation, change.parameters["logGroupName"]) == ("put_retention_policy", state["name"])
        assert case.resource.resource_id.endswith(f":log-group:{state['name']}")
        days, current = change.parameters["retentionInDays"], state["retention_in_days"]
        assert days == floor and (current is None or days >= current), f"{change} shortens {current}"


def check_flow_logs(case: Case, made: list[Change]) -> None:
    state, destination = case.resource.state, case.params["flow_log_destination"]
    to_s3 = destination.startswith("arn:") and ":s3:::" in destination
    assert_log_group_calls(case, made, None if to_s3 else configured_log_group(case, destination))
    flow_logs = [c for c in made if c.service == "ec2"]
    assert [c.operation for c in flow_logs] in ([], ["create_flow_logs"]) and made[-1:] == flow_logs[-1:]
    for change in flow_logs:
        p = change.parameters
        assert (p["ResourceType"], p["ResourceIds"]) == ("VPC", [state["vpc_id"]])
        assert case.resource.resource_id.endswith(f"/{state['vpc_id']}")
        assert p["TrafficType"] == case.params["flow_log_traffic_type"]
        if to_s3:
            assert (p["LogDestinationType"], p["LogDestination"]) == ("s3", destination) and "LogGroupName" not in p
        else:
            assert p["LogDestinationType"] == "cloud-watch-logs" and "LogDestination" not in p
            assert configured_log_group(case, destination)[2] == p["LogGroupName"]  # type: ignore[index]
            # The configured role's name, in the VPC's own account (a role cannot be passed across accounts).
            configured = case.params["flow_log_delivery_role_arn"].split(":")
            assert configured != [""] and p["DeliverLogsPermissionArn"].split(":") == [
                *configured[:4],
                case.resource.account_id,
                configured[5],
            ]


def check_dns(case: Case, made: list[Change]) -> None:
    state, config_id = case.resource.state, case.params["query_log_config_id"]
    destination = case.params["query_log_destination_arn"].removesuffix(":*")
    is_group = ":log-group:" in destination and not config_id
    assert_log_group_calls(case, made, configured_log_group(case, destination) if is_group else None)
    created = [c for c in made if c.operation == "create_resolver_query_log_config"]
    for change in created:  # only when no configuration is configured, once, to the configured destination
        assert not config_id and len(created) == 1
        assert (change.parameters["Name"], change.parameters["DestinationArn"]) == (
            "logbaseline-query-logs",
            destination,
        )
    account = case.resource.account_id
    usable = {
        c["Id"]
        for c in case.query_log_configs
        if (c["Name"], c["DestinationArn"], c["OwnerId"]) == (NEW_QUERY_LOG_CONFIG_NAME, destination, account)
    }
    allowed = {config_id} if config_id else usable | ({NEW_QUERY_LOG_CONFIG} if created else set())
    for change in made:
        if change.service == "route53resolver" and change not in created:
            assert change.operation == "associate_resolver_query_log_config", change
            assert change.parameters == {
                "ResolverQueryLogConfigId": change.parameters["ResolverQueryLogConfigId"],
                "ResourceId": state["vpc_id"],
            }
            assert change.parameters["ResolverQueryLogConfigId"] in allowed, f"{change} is not {allowed}"
            assert case.resource.resource_id.endswith(f"/{state['vpc_id']}")


def check_elb(case: Case, made: list[Change]) -> None:
    state, bucket = case.resource.state, bucket_of(case.params["elb_access_log_bucket"])
    assert len(made) <= 1
    for change in made:
        assert change.operation == "modify_load_balancer_attributes" and bucket
        if state["kind"] == "classic":
            assert change.service == "elb" and case.resource.resource_id.endswith(f"/{state['name']}")
            assert change.parameters["LoadBalancerName"] == state["name"]
            [(key, log)] = change.parameters["LoadBalancerAttributes"].items()
            assert key == "AccessLog" and log["Enabled"] is True and log["S3BucketName"] == bucket
        else:
            assert change.service == "elbv2" and change.parameters["LoadBalancerArn"] == case.resource.resource_id
            attributes = {a["Key"]: a["Value"] for a in change.parameters["Attributes"]}
            assert all(key.startswith("access_logs.s3.") for key in attributes)
            assert (attributes["access_logs.s3.enabled"], attributes["access_logs.s3.bucket"]) == ("true", bucket)


def check_access_logging(case: Case, made: list[Change]) -> None:
    state = case.resource.state
    for change in made:
        assert change.operation == "put_bucket_logging"
        assert change.parameters["Bucket"] == state["name"] == bucket_of(case.resource.resource_id)
        assert change.parameters["ExpectedBucketOwner"] == case.resource.account_id
        target = change.parameters["BucketLoggingStatus"]["LoggingEnabled"]["TargetBucket"]
        assert target != state["name"], "a bucket never logs into itself"
        assert not state["logging"], f"replaces the target {state['logging']}"
        assert target == bucket_of(case.params["access_log_bucket"])


def check_lifecycle(case: Case, made: list[Change]) -> None:
    for change in made:
        assert change.operation == "put_bucket_lifecycle_configuration" and case.resource.state["lifecycle"] is None
        assert change.parameters["Bucket"] == case.resource.state["name"] == bucket_of(case.resource.resource_id)
        assert change.parameters["ExpectedBucketOwner"] == case.resource.account_id
        configuration = change.parameters["LifecycleConfiguration"]
        assert not {k for k in deep_keys(configuration) if "Expiration" in k or k.startswith("Abort")}, "deletes"
        days = [t["Days"] for rule in configuration["Rules"] for t in rule.get("Transitions", [])]
        assert days and set(days) == {case.params["retention_floor_days"]}


def check_public_access(case: Case, made: list[Change]) -> None:
    for change in made:
        assert change.operation == "put_public_access_block"
        assert change.parameters["Bucket"] == case.resource.state["name"] == bucket_of(case.resource.resource_id)
        assert change.parameters["ExpectedBucketOwner"] == case.resource.account_id
        assert change.parameters["PublicAccessBlockConfiguration"] == dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
        )


def check_log_bucket_public_access(case: Case, made: list[Change]) -> None:
    """Block Public Access only tightens; RestrictPublicBuckets is never turned on under a public policy (it would
    cut the cross-account deliveries that policy allows)."""
    state = case.resource.state
    for change in made:
        assert change.operation == "put_public_access_block"
        assert change.parameters["Bucket"] == state["name"] == bucket_of(case.resource.resource_id)
        assert change.parameters["ExpectedBucketOwner"] == case.resource.account_id
        settings = change.parameters["PublicAccessBlockConfiguration"]
        assert all(settings[flag] or not was for flag, was in state["block"].items()), "loosens a setting"
        if state["policy_public"]:
            assert settings["RestrictPublicBuckets"] == state["block"]["RestrictPublicBuckets"]


def check_kms(case: Case, made: list[Change]) -> None:
    for change in made:
        assert change.operation == "update_trail" and not case.resource.state["kms_key_id"]
        key = case.params["cloudtrail_kms_key_arn"]
        assert change.parameters == {"Name": case.resource.resource_id, "KmsKeyId": key} and key


def check_validation(case: Case, made: list[Change]) -> None:
    for change in made:
        assert change.operation == "update_trail"
        assert change.parameters == {"Name": case.resource.resource_id, "EnableLogFileValidation": True}


def check_lake(case: Case, made: list[Change]) -> None:
    state, floor = case.resource.state, case.params["retention_floor_days"]
    assert len(made) <= 1
    assert not made or state["status"] != "PENDING_DELETION", "a store pending deletion is a person's to restore"
    for change in made:
        p = dict(change.parameters)
        assert (change.operation, p.pop("EventDataStore")) == ("update_event_data_store", case.resource.resource_id)
        assert p and set(p) <= {"RetentionPeriod", "TerminationProtectionEnabled"}
        assert p.get("TerminationProtectionEnabled", True) is True, "protection is only ever turned on"
        if "RetentionPeriod" in p:
            assert p["RetentionPeriod"] == floor > state["retention_days"], f"{change} shortens {state}"


def check_multi_region(case: Case, made: list[Change]) -> None:
    trails = {t["arn"]: t for t in case.resource.state["trails"]}
    assert len(made) <= 1
    for change in made:
        assert change.operation == "start_logging" and set(change.parameters) == {"Name"}
        trail = trails[change.parameters["Name"]]
        assert trail["arn"].split(":")[4] == case.resource.account_id, "another account's trail"
        assert change.region == trail["home_region"] == trail["arn"].split(":")[3]


def check_config(case: Case, made: list[Change]) -> None:
    for change in made:
        assert change.operation == "start_configuration_recorder"
        assert change.parameters == {"ConfigurationRecorderName": case.resource.state["recorder"]["name"]}


def check_guardduty(case: Case, made: list[Change]) -> None:
    detectors = [d["id"] for d in case.resource.state["detectors"]]
    for change in made:
        if change.operation == "create_detector":
            assert change.parameters == {"Enable": True} and not detectors, "a second detector"
        else:
            assert change.operation == "update_detector" and change.parameters["DetectorId"] in detectors
            assert change.parameters == {"DetectorId": change.parameters["DetectorId"], "Enable": True}


def check_eks(case: Case, made: list[Change]) -> None:
    state = case.resource.state
    before = set(state["enabled_types"])
    for change in made:
        assert change.operation == "update_cluster_config" and set(change.parameters) == {"name", "logging"}
        assert change.parameters["name"] == state["name"] == case.resource.resource_id.rsplit("/", 1)[-1]
        entries = change.parameters["logging"]["clusterLogging"]
        assert all(entry["enabled"] is True for entry in entries), f"{change} disables a log type"
        named = {t for entry in entries for t in entry["types"]}
        assert before <= named, "AWS keeps unnamed types; moto replaces the set: either way none is turned off"


def check_api_execution(case: Case, made: list[Change]) -> None:
    """Only a REST stage with the account's role; only its levels that log nothing, raised to ERROR."""
    state = case.resource.state
    for change in made:
        assert state["kind"] == "REST" and state["cloudwatch_role"], change
        assert change.operation == "update_stage" and set(change.parameters) == {
            "restApiId",
            "stageName",
            "patchOperations",
        }
        assert (change.parameters["restApiId"], change.parameters["stageName"]) == (state["api_id"], state["stage"])
        for operation in change.parameters["patchOperations"]:
            key = operation["path"].removeprefix("/").removesuffix("/logging/loglevel")
            assert operation == {"op": "replace", "path": f"/{key}/logging/loglevel", "value": "ERROR"}, operation
            assert state["levels"].get(key, "OFF") == "OFF", f"{change} changes {key}, which logs"


def check_security_alarms(case: Case, made: list[Change]) -> None:
    from logbaseline.controls._cis_monitoring import check_of
    from logbaseline.controls.cloudtrail_security_alarms import NAMESPACE

    state, topic = case.resource.state, case.params["security_alarm_topic_arn"]
    groups = {t["log_group"]: {f["name"] for f in t["filters"]} for t in state["trails"] if t["log_group"]}
    assert not made or topic, "nothing without a configured topic"
    names = [(c.operation, c.parameters.get("AlarmName") or c.parameters["filterName"]) for c in made]
    assert len(names) == len(set(names)), "each filter and each alarm once"
    for change in made:
        p = change.parameters
        if change.operation == "put_metric_filter":
            assert p["filterName"] not in groups[p["logGroupName"]], f"{change} replaces a filter"
            assert check_of(p["filterPattern"]) and p["filterPattern"] == check_of(p["filterPattern"]).pattern
            assert [m["metricNamespace"] for m in p["metricTransformations"]] == [NAMESPACE]
        else:
            assert change.operation == "put_metric_alarm", change
            assert p["AlarmName"].startswith("logbaseline-") and p["AlarmName"] not in state["alarm_names"]
            assert (p["AlarmActions"], p["ActionsEnabled"]) == ([topic], True)


CHECKS = {
    "cloudtrail_lake_retention_bounded": check_lake,
    "logs_log_group_retention_bounded": check_retention,
    "vpc_flow_logs_enabled": check_flow_logs,
    "cloudtrail_multi_region_logging": check_multi_region,
    "cloudtrail_log_file_validation_enabled": check_validation,
    "cloudtrail_kms_encryption_enabled": check_kms,
    "eks_control_plane_audit_logging_enabled": check_eks,
    "config_recorder_active": check_config,
    "guardduty_enabled": check_guardduty,
    "vpc_dns_query_logging_enabled": check_dns,
    "elb_access_logs_enabled": check_elb,
    "cloudtrail_bucket_not_public": check_public_access,
    "cloudtrail_bucket_access_logging_enabled": check_access_logging,
    "s3_log_bucket_lifecycle_bounded": check_lifecycle,
    "s3_bucket_server_access_logging_enabled": check_access_logging,
    "apigateway_execution_logging_enabled": check_api_execution,
    "s3_log_bucket_not_public": check_log_bucket_public_access,
    "cloudtrail_security_alarms": check_security_alarms,
}


def assert_safe(control: Control, case: Case, made: list[Change]) -> None:
    for change in made:
        operation, parameters = change.operation, change.parameters
        assert not operation.startswith(DESTRUCTIVE_PREFIXES), f"{change} deletes or stops"
        assert operation not in ("put_event_selectors", "create_trail"), (
            f"{change}: no fix touches what a trail records"
        )
        assert parameters.get("IsMultiRegionTrail", True) and parameters.get("EnableLogFileValidation", True), change
        assert iam_action(change) in control.write_actions, f"{change} needs {iam_action(change)}"
        assert not malformed(change), f"{change}: {malformed(change)}"
        if control.id != TRAILS:  # a multi-region trail is restarted from its home region
            assert change.region == case.resource.region, change
    CHECKS[control.id](case, made)


# --- the properties ----------------------------------------------------------------------------------


def test_every_fix_is_covered():
    """A new control with a fix fails here until it has a strategy and a check."""
    assert sorted(c.id for c in all_controls() if c.remediate) == FIXES == sorted(CHECKS)
    assert len(FIXES) == 18


@pytest.mark.parametrize("control_id", FIXES)
@EXAMPLES
@given(data=st.data())
def test_a_fix_refuses_or_records_only_safe_changes(control_id, data):
    control = load(control_id)
    case = data.draw(cases(control_id), label="case")
    made, clients, refused = remediate(control, case)
    event("refused (FixFailed)" if refused else f"{len(made)} change(s) recorded")
    assert_safe(control, case, made)
    if control_id in READERS:  # only the configured log group, by its name; its own query log configuration
        destination = case.params["flow_log_destination" if control_id == FLOW else "query_log_destination_arn"]
        group = configured_log_group(case, destination)
        reads = [(operation, name) for operation, name in clients.reads if operation == "describe_log_groups"]
        assert all(group and name == group[2] for _, name in reads), (clients.reads, group)
        configs = [name for operation, name in clients.reads if operation == "list_resolver_query_log_configs"]
        assert configs == [] or (control_id == DNS and configs == [NEW_QUERY_LOG_CONFIG_NAME]), clients.reads
    else:
        assert clients.reads == []


def applied(case: Case, made: list[Change]) -> Case:
    """The case as the recorded changes leave it (what collect() would read after them)."""
    state, groups = copy.deepcopy(dict(case.resource.state)), dict(case.log_groups)
    configs = list(case.query_log_configs)
    for change in made:
        p = change.parameters
        match change.operation:
            case "create_log_group":
                groups[p["logGroupName"]] = None
            case "put_retention_policy":
                groups[p["logGroupName"]] = p["retentionInDays"]
                if state.get("name") == p["logGroupName"]:
                    state["retention_in_days"] = p["retentionInDays"]
            case "create_flow_logs":
                log = {"id": "fl-new", "traffic_type": p["TrafficType"], "status": "ACTIVE", "delivery_status": None}
                destination = {"destination": p.get("LogDestination"), "log_group": p.get("LogGroupName")}
                state["flow_logs"].append(log | {"delivery_error": None} | destination)
            case "create_resolver_query_log_config":
                owner = case.resource.account_id
                new = {"Id": NEW_QUERY_LOG_CONFIG, "Name": p["Name"], "DestinationArn": p["DestinationArn"]}
                configs.append(new | {"Status": "CREATING", "OwnerId": owner})
            case "associate_resolver_query_log_config":
                config_id = p["ResolverQueryLogConfigId"]
                state["associations"].append(
                    {"id": "rqlca-new", "config_id": config_id, "status": "CREATING", "error": None}
                )
            case "modify_load_balancer_attributes":
                state["enabled"] = True
            case "put_bucket_logging":
                state["logging"] = dict(p["BucketLoggingStatus"]["LoggingEnabled"])
            case "put_bucket_lifecycle_configuration":
                rules = p["LifecycleConfiguration"]["Rules"]
                state["lifecycle"] = {"rules": rules, "minimum_size": p["TransitionDefaultMinimumObjectSize"]}
            case "put_public_access_block":
                state["block"] = dict(p["PublicAccessBlockConfiguration"])
            case "update_event_data_store":
                if "RetentionPeriod" in p:
                    state["retention_days"] = p["RetentionPeriod"]
                if "TerminationProtectionEnabled" in p:
                    state["termination_protection"] = p["TerminationProtectionEnabled"]
            case "update_trail":
                if "KmsKeyId" in p:
                    state["kms_key_id"] = p["KmsKeyId"]
                if "EnableLogFileValidation" in p:
                    state["log_file_validation"] = p["EnableLogFileValidation"]
            case "start_logging":
                for trail in state["trails"]:
                    trail["logging"] |= trail["arn"] == p["Name"]
            case "start_configuration_recorder":
                state["recorder"]["recording"] = True
            case "create_detector":
                state["detectors"].append({"id": "new-detector", "status": "ENABLED" if p["Enable"] else "DISABLED"})
            case "update_detector":
                for detector in state["detectors"]:
                    if detector["id"] == p["DetectorId"]:
                        detector["status"] = "ENABLED" if p["Enable"] else "DISABLED"
            case "update_stage":
                levels = dict(state["levels"])
                for operation in p["patchOperations"]:
                    levels[operation["path"].removeprefix("/").removesuffix("/logging/loglevel")] = operation["value"]
                state["levels"] = levels
            case "update_cluster_config":
                enabled = set(state["enabled_types"])
                for entry in p["logging"]["clusterLogging"]:
                    enabled = enabled | set(entry["types"]) if entry["enabled"] else enabled - set(entry["types"])
                state["enabled_types"] = sorted(enabled)
            case "put_metric_filter":
                for trail in state["trails"]:
                    if trail["log_group"] == p["logGroupName"]:
                        metrics = [f"{m['metricNamespace']}/{m['metricName']}" for m in p["metricTransformations"]]
                        trail["filters"].append(
                            {"name": p["filterName"], "pattern": p["filterPattern"], "metrics": metrics}
                        )
            case "put_metric_alarm":
                alarm = {"name": p["AlarmName"], "enabled": p["ActionsEnabled"], "actions": p["AlarmActions"]}
                state["alarms"].setdefault(f"{p['Namespace']}/{p['MetricName']}", []).append(alarm)
                state["alarm_names"].append(p["AlarmName"])
            case _:
                raise AssertionError(f"no model of {change}")
    resource = Resource(
        case.resource.account_id, case.resource.region, case.resource.resource_id, state, case.resource.resource_type
    )
    return Case(resource, case.params, groups, tuple(configs))


def restartable(case: Case) -> list[dict[str, Any]]:
    """The account's own stopped multi-region trails that record all management events."""
    own = [t for t in case.resource.state["trails"] if t["arn"].split(":")[4] == case.resource.account_id]
    return [t for t in own if not t["logging"] and {"read", "write"} <= set(t["management_events"])]


# remediate() of these repeats its call on a state it already fixed; apply_fix() re-evaluates first (see below).
REPEATS = {"cloudtrail_log_file_validation_enabled", "cloudtrail_bucket_not_public"}


# Only cases where the fix records something test this; for some fixes most drawn states are refused (a
# stopped recorder with a delivery channel is 1 in 8): filtering them out is the point, not a slow strategy.
FIXING = settings(EXAMPLES, suppress_health_check=[HealthCheck.filter_too_much])


@pytest.mark.parametrize("control_id", FIXES)
@FIXING
@given(data=st.data())
def test_a_fix_applied_once_is_not_applied_again(control_id, data):
    """After its recorded changes, calling remediate() again records nothing or raises FixFailed.

    For REPEATS and a state with two restartable trails, only the engine's weaker guarantee holds: the
    verdict is no longer a fixable failure, so apply_fix() does not call remediate() again.
    """
    control = load(control_id)
    case = data.draw(cases(control_id), label="case")
    made, _, refused = remediate(control, case)
    assume(made and not refused)
    assert_safe(control, case, made)
    after = applied(case, made)
    again, _, _ = remediate(control, after)
    assert_safe(control, after, again)
    if control_id in REPEATS or (control_id == TRAILS and len(restartable(case)) > 1):
        verdict = control.evaluate(after.resource, after.params)
        assert not (verdict.status is Status.FAILED and verdict.fixable), verdict
    else:
        assert again == [], f"{made} applied, then again {again}"


@st.composite
def two_stopped_trails(draw: Any) -> Case:
    """A multi-region case with two of the account's own stopped trails that record everything."""
    case = draw(cases(TRAILS))
    account, state = case.resource.account_id, copy.deepcopy(dict(case.resource.state))
    for name, home in (("stopped-1", "us-east-1"), ("stopped-2", "eu-west-1")):
        arn = f"arn:aws:cloudtrail:{home}:{account}:trail/{name}"
        trail = {"arn": arn, "name": name, "home_region": home, "owner_account": account, "organization": False}
        state["trails"].append(trail | {"logging": False, "management_events": ["read", "write"]})
    return Case(Resource(account, case.resource.region, case.resource.resource_id, state), case.params)


NOT_SELF_REFUSING = {
    "cloudtrail_log_file_validation_enabled": cases("cloudtrail_log_file_validation_enabled"),
    "cloudtrail_bucket_not_public": cases("cloudtrail_bucket_not_public"),
    TRAILS: two_stopped_trails(),
}


@pytest.mark.parametrize("control_id", sorted(NOT_SELF_REFUSING))
@settings(FIXING, max_examples=20)
@given(data=st.data())
def test_remediate_itself_refuses_a_fix_already_applied(control_id, data):
    control, case = load(control_id), data.draw(NOT_SELF_REFUSING[control_id], label="case")
    made, _, refused = remediate(control, case)
    assume(made and not refused)
    again, _, refused_again = remediate(control, applied(case, made))
    assert refused_again or again == [], f"{made} applied, then again {again}"


# --- refusals: configurations a fix cannot use are refused, before any change -------------------------


@settings(max_examples=20, deadline=None)
@given(
    cases(
        FLOW, lambda account, region: {"flow_log_destination": st.just(""), "flow_log_delivery_role_arn": st.just(ROLE)}
    )
)
def test_flow_log_fix_without_a_destination_refuses(case):
    control = load(FLOW)
    verdict = control.evaluate(case.resource, case.params)
    assert verdict.status is Status.PASSED or not verdict.fixable, "no fix is offered without a destination"
    made, _, refused = remediate(control, case)
    assert refused is not None and str(refused).startswith("flow_log_destination is not set"), "names the setting"
    assert made == []


def unusable_destinations(account: str, region: str) -> dict[str, st.SearchStrategy[str]]:
    """ARNs that are neither an S3 bucket nor a log group: a typo'd S3 ARN, a Firehose stream, an IAM role."""
    unusable = st.sampled_from(
        (
            "arn:aws:s3::flow-logs",
            "arn:aws:s3:flow-logs",
            f"arn:aws:firehose:{region}:{account}:deliverystream/flow",
            ROLE,
        )
    )
    return {"flow_log_destination": unusable, "flow_log_delivery_role_arn": st.just(ROLE)}


@settings(max_examples=20, deadline=None)
@given(cases(FLOW, unusable_destinations))
def test_flow_log_fix_refuses_a_destination_it_cannot_use(case):
    """Neither an S3 bucket nor a log group of this account and region: never fixable, and refused."""
    control = load(FLOW)
    assert not control.evaluate(case.resource, case.params).fixable
    with pytest.raises(FixFailed):
        control.remediate(Changes(ReadOnlyClients(case.resource.region, {}), dry_run=True), case.resource, case.params)


def another_accounts_log_group(account: str, region: str) -> dict[str, st.SearchStrategy[str]]:
    other = OTHER if account == ME else ME
    arn = LOG_GROUPS.map(lambda name: f"arn:aws:logs:{region}:{other}:log-group:{name}")
    return {"query_log_config_id": st.just(""), "query_log_destination_arn": arn}


@settings(max_examples=20, deadline=None)
@given(cases(DNS, another_accounts_log_group))
def test_dns_fix_creates_no_log_group_but_the_configured_one(case):
    """A log group of another account is never created here (nor one of this account in its place)."""
    control = load(DNS)
    case = Case(case.resource, case.params, {})  # no configuration to re-use, no such group yet
    made, _, refused = remediate(control, case)
    destination = case.params["query_log_destination_arn"]
    assert refused is not None and str(refused) == f"log group {destination} is not in the VPC's region and account"
    assert made == []


# --- the fake against the emulator -------------------------------------------------------------------


def with_log_group_destination(control_id: str):
    def overrides(account: str, region: str) -> dict[str, st.SearchStrategy[Any]]:
        if control_id == FLOW:
            return {"flow_log_destination": LOG_GROUPS, "flow_log_delivery_role_arn": st.just(ROLE)}
        arn = st.builds(
            lambda n, star: f"arn:aws:logs:{region}:{account}:log-group:{n}{star}",
            LOG_GROUPS,
            st.sampled_from(("", ":*")),
        )
        return {"query_log_config_id": st.just(""), "query_log_destination_arn": arn}

    return cases(control_id, overrides).filter(lambda case: case.resource.region in ("us-east-1", "eu-west-1"))


# Each example resets the emulator and makes real HTTP calls: no shrinking (a failure is reported as drawn).
@pytest.mark.parametrize("control_id", [FLOW, DNS])
@settings(max_examples=12, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(data=st.data())
def test_the_fake_answers_as_the_emulator_does(moto_endpoint, control_id, data):
    """Against log groups really in the emulator (moto, over HTTP), the fix plans the same safe changes.

    The emulator is reset for each example: the `aws` fixture resets it once per test, not per example.
    """
    case = data.draw(with_log_group_destination(control_id), label="case")
    emulator.reset(moto_endpoint)
    clients = Clients(case.resource.region, config=NO_RETRY)
    for name, days in case.log_groups.items():
        clients("logs").create_log_group(logGroupName=name)
        if days is not None:
            clients("logs").put_retention_policy(logGroupName=name, retentionInDays=days)
    resolver = clients("route53resolver")
    for n, config in enumerate(case.query_log_configs):
        resolver.create_resolver_query_log_config(
            Name=config["Name"], DestinationArn=config["DestinationArn"], CreatorRequestId=f"case-{n}"
        )
    # The fake answers with what the emulator holds (its ids, statuses and owner).
    case = replace(case, query_log_configs=tuple(resolver.list_resolver_query_log_configs()["ResolverQueryLogConfigs"]))
    control, real = load(control_id), Changes(clients, dry_run=True)
    try:
        control.remediate(real, case.resource, case.params)  # type: ignore[misc]
    except FixFailed:
        pass
    event(f"{len(case.log_groups)} log group(s) in the emulator; {len(real.made)} change(s)")
    assert real.made == remediate(control, case)[0]
    assert_safe(control, case, real.made)
