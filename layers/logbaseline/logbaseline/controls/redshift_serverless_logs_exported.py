"""A Redshift Serverless namespace exports its connection and user logs to CloudWatch Logs (and, where turned on,
its user activity log)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

EVENT_SOURCE = "redshift-serverless.amazonaws.com"
REQUIRED = ("connectionlog", "userlog")  # the AWS Config rule's default logType; useractivitylog is reported


def namespace_resource_id(scope: Scope) -> str:
    return scope.resource_id or ""  # an ARN, or a name where the event gives only the name


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    # One listing: it holds each namespace's exports; an event names the namespace by ARN or by name.
    pages = clients("redshift-serverless").get_paginator("list_namespaces").paginate()
    namespaces = [n for page in pages for n in page["namespaces"]]
    if scope.resource_id:
        namespaces = [n for n in namespaces if scope.resource_id in (n["namespaceArn"], n["namespaceName"])]
    return [
        Resource(
            scope.account_id,
            scope.region,
            namespace["namespaceArn"],
            {"name": namespace["namespaceName"], "exports": sorted(namespace.get("logExports") or [])},
        )
        for namespace in namespaces
    ]


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    label = f"Redshift Serverless namespace {state['name']}"
    missing = [log for log in REQUIRED if log not in state["exports"]]
    if missing:
        exported = f" (it exports {', '.join(state['exports'])})" if state["exports"] else ""
        return failed(f"{label} does not export {', '.join(missing)} to CloudWatch Logs{exported}")
    return passed(f"{label} exports {', '.join(state['exports'])} to CloudWatch Logs")


CONTROL = Control(
    id="redshift_serverless_logs_exported",
    title="Redshift Serverless namespaces export their audit logs",
    description=(
        "A Redshift Serverless namespace exports its connection log and user log to CloudWatch Logs (the AWS Config "
        "rule's default); the finding says whether the user activity log is exported too."
    ),
    severity=Severity.MEDIUM,
    resource_type="Other",  # Security Hub documents no Redshift Serverless type
    related_requirements=(SEC04_BP01,),
    collect=collect,
    evaluate=evaluate,
    resource_id=namespace_resource_id,
    remediation_text=(
        "Export the logs (UpdateNamespace logExports: connectionlog, userlog and, with the workgroup's "
        "enable_user_activity_logging, useractivitylog); they go to /aws/redshift/<namespace>/<log type>."
    ),
    config_triggers=(ConfigTrigger("AWS::RedshiftServerless::Namespace", "ARN || resourceId"),),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            EVENT_SOURCE,
            ("CreateNamespace", "UpdateNamespace"),
            "responseElements.namespace.namespaceArn || requestParameters.namespaceName",
        ),
    ),
    read_actions=("redshift-serverless:ListNamespaces",),
    default_mode=Mode.OFF,
    fix_description="none yet: a person turns the exports on; their new log groups never expire until bounded.",
)
