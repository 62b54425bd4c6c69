"""An EKS cluster sends its api, audit and authenticator control-plane logs to CloudWatch Logs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from logbaseline.aws import Clients, partition
from logbaseline.controls.base import (
    SEC04_BP01,
    Changes,
    CloudTrailTrigger,
    ConfigTrigger,
    Control,
    FixFailed,
    denied,
)
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

# The log types the baseline requires; controllerManager and scheduler are left to each team.
REQUIRED = ("api", "audit", "authenticator")
EKS_EVENT_SOURCE = "eks.amazonaws.com"


def cluster_name(resource_id: str) -> str:
    return resource_id.rsplit("/", 1)[-1]  # prod or arn:aws:eks:region:account:cluster/prod


def cluster_arn(scope: Scope) -> str:
    if scope.resource_id and scope.resource_id.startswith("arn:"):
        return scope.resource_id
    name = cluster_name(scope.resource_id or "")
    return f"arn:{partition(scope.region)}:eks:{scope.region}:{scope.account_id}:cluster/{name}"


def enabled_types(logging: Mapping[str, Any] | None) -> list[str]:
    """The log types DescribeCluster reports as enabled (entries list types with enabled true or false)."""
    types = {t for entry in (logging or {}).get("clusterLogging") or [] if entry.get("enabled") for t in entry["types"]}
    return sorted(types)


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    eks = clients("eks")
    if scope.resource_id:
        names = [cluster_name(scope.resource_id)]
    else:
        names = [n for page in eks.get_paginator("list_clusters").paginate() for n in page["clusters"]]
    resources = []
    for name in names:
        try:
            cluster = eks.describe_cluster(name=name)["cluster"]
        except eks.exceptions.ResourceNotFoundException:
            continue  # deleted since the event (or the listing)
        except ClientError as error:
            if not denied(error):
                raise
            arn = cluster_arn(Scope(scope.account_id, scope.region, name))  # its own read failure; the others go on
            resources.append(Resource(scope.account_id, scope.region, arn, {"name": name}, unreadable=str(error)))
            continue
        resources.append(
            Resource(
                scope.account_id,
                scope.region,
                cluster["arn"],
                {"name": name, "status": cluster.get("status"), "enabled_types": enabled_types(cluster.get("logging"))},
                tags=cluster.get("tags") or {},
            )
        )
    return resources


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    missing = [t for t in REQUIRED if t not in resource.state["enabled_types"]]
    if not missing:
        return passed(f"control-plane logs {', '.join(resource.state['enabled_types'])} are enabled")
    reason = f"control-plane log types {', '.join(missing)} are not enabled"
    status = resource.state["status"]
    if status != "ACTIVE":
        # UpdateClusterConfig is refused while the cluster is CREATING or UPDATING; a later event or the sweep retries.
        return failed(f"{reason}; the cluster is {status}, so the fix waits until it is ACTIVE")
    return failed(reason, fixable=True)


def remediate(changes: Changes, resource: Resource, params: Mapping[str, Any]) -> None:
    enabled = resource.state["enabled_types"]
    if all(t in enabled for t in REQUIRED):
        raise FixFailed("refused: the required log types are already enabled")
    if resource.state["status"] != "ACTIVE":
        raise FixFailed(f"the cluster is {resource.state['status']}; EKS accepts a logging update only when ACTIVE")
    # Only an enabled entry: the types it names are turned on, every other type keeps its state.
    # The already-enabled types are repeated so that the request is the full wanted set.
    types = sorted(set(enabled) | set(REQUIRED))
    changes.call(
        "eks",
        "update_cluster_config",
        name=resource.state["name"],
        logging={"clusterLogging": [{"types": types, "enabled": True}]},
    )


CONTROL = Control(
    id="eks_control_plane_audit_logging_enabled",
    title="EKS clusters send api, audit and authenticator control-plane logs to CloudWatch Logs",
    description=(
        "An EKS cluster has at least the api, audit and authenticator control-plane log types enabled. "
        "EKS writes them to the log group /aws/eks/<cluster>/cluster, which it creates with no retention."
    ),
    severity=Severity.MEDIUM,
    resource_type="AwsEksCluster",
    related_requirements=(SEC04_BP01, "Security Hub EKS.8"),
    collect=collect,
    evaluate=evaluate,
    resource_id=cluster_arn,
    remediation_text=(
        "Enable the api, audit and authenticator control-plane log types (UpdateClusterConfig). "
        "EKS creates /aws/eks/<cluster>/cluster with no retention: logs_log_group_retention_bounded then sets it."
    ),
    config_triggers=(ConfigTrigger("AWS::EKS::Cluster", "ARN || resourceId"),),
    cloudtrail_triggers=(
        # Current records name the cluster in `name`; the user guide's 2018 sample uses `clusterName`.
        CloudTrailTrigger(
            EKS_EVENT_SOURCE,
            ("CreateCluster",),
            "responseElements.cluster.arn || requestParameters.name || requestParameters.clusterName",
        ),
        CloudTrailTrigger(EKS_EVENT_SOURCE, ("UpdateClusterConfig",), "requestParameters.name"),
    ),
    read_actions=("eks:ListClusters", "eks:DescribeCluster"),
    write_actions=("eks:UpdateClusterConfig",),
    remediate=remediate,
    default_mode=Mode.AUTO,
    fix_description=(
        "UpdateClusterConfig enabling the missing api/audit/authenticator types; never disables a type. "
        "The new /aws/eks/<cluster>/cluster log group has no retention until the retention control sets it."
    ),
)
