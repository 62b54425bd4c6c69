"""An OpenSearch Service domain (OpenSearch or Elasticsearch) publishes its error and audit logs to CloudWatch Logs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients, partition
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

# LogPublishingOptions keys: error logs (Opensearch.4, ES.4) and audit logs (Opensearch.5, ES.5).
REQUIRED = {"ES_APPLICATION_LOGS": "error logs", "AUDIT_LOGS": "audit logs"}
BATCH = 5  # DescribeDomains takes at most 5 names


def domain_name(resource_id: str) -> str:
    return resource_id.rsplit("/", 1)[-1]  # orders or arn:aws:es:region:account:domain/orders


def domain_arn(scope: Scope) -> str:
    name = domain_name(scope.resource_id or "")
    return f"arn:{partition(scope.region)}:es:{scope.region}:{scope.account_id}:domain/{name}"


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    opensearch = clients("opensearch")
    if scope.resource_id:
        names = [domain_name(scope.resource_id)]
    else:
        names = [d["DomainName"] for d in opensearch.list_domain_names().get("DomainNames", [])]
    resources = []
    for start in range(0, len(names), BATCH):
        # DescribeDomains leaves out a name it does not know (deleted since the event or the listing).
        for domain in opensearch.describe_domains(DomainNames=names[start : start + BATCH])["DomainStatusList"]:
            if domain.get("Deleted"):
                continue  # being deleted: nothing left to log
            options = domain.get("LogPublishingOptions") or {}
            published = {k: v.get("CloudWatchLogsLogGroupArn", "") for k, v in options.items() if v.get("Enabled")}
            state = {"name": domain["DomainName"], "engine": domain.get("EngineVersion", ""), "published": published}
            resources.append(Resource(scope.account_id, scope.region, domain["ARN"], state))
    return resources


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    label = f"domain {state['name']} ({state['engine']})"
    missing = [what for key, what in REQUIRED.items() if not state["published"].get(key)]
    if not missing:
        return passed(f"{label} publishes error and audit logs to CloudWatch Logs")
    audit = " (audit logs need fine-grained access control)" if "audit logs" in missing else ""
    return failed(f"{label} does not publish its {' or '.join(missing)} to CloudWatch Logs{audit}")


CONTROL = Control(
    id="opensearch_logs_enabled",
    title="OpenSearch Service domains publish error and audit logs",
    description=(
        "An OpenSearch or Elasticsearch domain publishes its error logs (ES_APPLICATION_LOGS) and audit logs "
        "(AUDIT_LOGS) to CloudWatch Logs."
    ),
    severity=Severity.MEDIUM,
    resource_type="AwsOpenSearchServiceDomain",
    related_requirements=(
        SEC04_BP01,
        "Security Hub Opensearch.4",
        "Security Hub Opensearch.5",
        "Security Hub ES.4",
        "Security Hub ES.5",
    ),
    collect=collect,
    evaluate=evaluate,
    resource_id=domain_arn,
    remediation_text=(
        "Enable error and audit log publishing (UpdateDomainConfig LogPublishingOptions) to log groups whose "
        "resource policy lets es.amazonaws.com write; audit logs need fine-grained access control."
    ),
    config_triggers=(
        ConfigTrigger("AWS::OpenSearch::Domain", "ARN || resourceName"),
        ConfigTrigger("AWS::Elasticsearch::Domain", "ARN || resourceName"),
    ),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            "es.amazonaws.com",
            ("CreateDomain", "UpdateDomainConfig", "CreateElasticsearchDomain", "UpdateElasticsearchDomainConfig"),
            "responseElements.domainStatus.aRN || requestParameters.domainName",
        ),
    ),
    read_actions=("es:ListDomainNames", "es:DescribeDomains"),
    default_mode=Mode.OFF,
    fix_description="none: the log groups and their resource policy for OpenSearch Service are for a person to choose.",
)
