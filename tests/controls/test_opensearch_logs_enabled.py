"""opensearch_logs_enabled: the pure verdict and round trips on moto (OpenSearch and Elasticsearch domains)."""

from __future__ import annotations

import pytest
from logbaseline.controls.opensearch_logs_enabled import BATCH, CONTROL, domain_arn
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

ARN = "arn:aws:es:us-east-1:123456789012:domain/orders-search"  # the samples' domain
GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:/opensearch/orders-search"
BOTH = {"ES_APPLICATION_LOGS": GROUP, "AUDIT_LOGS": GROUP}


@pytest.mark.parametrize(
    ("published", "status", "phrase"),
    [
        (BOTH, Status.PASSED, "publishes error and audit logs"),
        ({}, Status.FAILED, "does not publish its error logs or audit logs"),
        ({"ES_APPLICATION_LOGS": GROUP}, Status.FAILED, "its audit logs to CloudWatch Logs (audit logs need"),
        ({"AUDIT_LOGS": GROUP, "SEARCH_SLOW_LOGS": GROUP}, Status.FAILED, "does not publish its error logs to"),
    ],
)
def test_evaluate(published, status, phrase):
    state = {"name": "orders-search", "engine": "OpenSearch_2.17", "published": published}
    verdict = CONTROL.evaluate(Resource("123456789012", REGION, ARN, state), {})
    assert (verdict.status, verdict.fixable) == (status, False) and phrase in verdict.reason


def test_metadata_and_resource_id():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF
    assert {"Security Hub Opensearch.4", "Security Hub ES.5"} <= set(CONTROL.related_requirements)
    assert domain_arn(Scope("123456789012", REGION, "orders-search")) == ARN
    assert domain_arn(Scope("123456789012", REGION, ARN)) == ARN


# --- round trips on the moto server -------------------------------------------------------


def options(*keys: str, enabled: bool = True) -> dict:
    return {key: {"CloudWatchLogsLogGroupArn": GROUP, "Enabled": enabled} for key in keys}


def mine(report):
    return [o for o in report.outcomes if o.control.id == CONTROL.id]


def test_round_trip_created_without_logs_then_both_published(aws, account_id):
    """CreateDomain -> FAILED, no fix; error and audit logs published -> PASSED (Config item)."""
    opensearch = aws("opensearch")
    assert opensearch.create_domain(DomainName="orders-search")["DomainStatus"]["ARN"] == ARN
    service = make_service(account_id)
    report = service.evaluate_event(load_event("cloudtrail/es-CreateDomain.json"))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(ARN, Status.FAILED)]
    assert report.fixes_requested == []
    finding = findings_by_resource(aws)[(CONTROL.id, ARN)]
    assert (
        finding["Compliance"]["Status"] == "FAILED" and finding["Resources"][0]["Type"] == "AwsOpenSearchServiceDomain"
    )

    opensearch.update_domain_config(
        DomainName="orders-search", LogPublishingOptions=options("ES_APPLICATION_LOGS", "AUDIT_LOGS")
    )
    report = service.evaluate_event(load_event("config/AWS-OpenSearch-Domain.json"))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(ARN, Status.PASSED)]


def test_every_domain_in_batches_a_disabled_option_does_not_count(aws, account_id):
    opensearch = aws("opensearch")
    names = [f"search-{n}" for n in range(BATCH + 2)]  # more than one DescribeDomains call
    for name in names:
        opensearch.create_domain(DomainName=name)
    opensearch.create_domain(
        DomainName="legacy",
        EngineVersion="Elasticsearch_7.10",
        LogPublishingOptions=options("AUDIT_LOGS", "ES_APPLICATION_LOGS", enabled=False),
    )
    found = CONTROL.collect(aws, Scope(account_id, REGION))
    assert sorted(r.state["name"] for r in found) == sorted([*names, "legacy"])
    assert all(r.state["published"] == {} for r in found)


def test_a_deleted_domain_is_archived(aws, account_id):
    aws("opensearch").create_domain(DomainName="orders-search")
    service = make_service(account_id)
    service.evaluate_event(load_event("cloudtrail/es-UpdateDomainConfig.json"))
    aws("opensearch").delete_domain(DomainName="orders-search")
    report = service.evaluate_event(load_event("cloudtrail/es-UpdateDomainConfig.json"))
    assert [(o.present, o.resource_id) for o in mine(report)] == [(False, ARN)]
    assert findings_by_resource(aws)[(CONTROL.id, ARN)]["RecordState"] == "ARCHIVED"
