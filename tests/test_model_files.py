"""botocore's data files read as plain dicts are the same data, in the same order, as botocore's own reading."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.loaders import Loader
from logbaseline.aws import Clients, PlainModelFiles

from tests.conftest import REGION

# The largest model (ec2), S3's customizations and endpoint rules, a query-compatible JSON service (sqs), and
# the others every sweep reads.
SERVICES = ("ec2", "s3", "sqs", "logs", "cloudtrail", "securityhub", "sts", "resourcegroupstaggingapi")
TYPES = ("service-2", "endpoint-rule-set-1", "paginators-1", "waiters-2")


def _same(plain: object, ordered: object) -> bool:
    """Equal, and every mapping's keys in the same order (json.dumps keeps the order it is given)."""
    return json.dumps(plain) == json.dumps(ordered)


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_reads_the_same_through_plain_dicts(service):
    plain, botocores = Loader(file_loader=PlainModelFiles()), Loader()
    kinds = [kind for kind in TYPES if service in botocores.list_available_services(kind)]
    assert "service-2" in kinds and "endpoint-rule-set-1" in kinds
    for kind in kinds:
        assert _same(plain.load_service_model(service, kind), botocores.load_service_model(service, kind)), kind


def test_the_session_wide_data_reads_the_same():
    plain, botocores = Loader(file_loader=PlainModelFiles()), Loader()
    for name in ("endpoints", "partitions", "sdk-default-configuration"):
        assert _same(plain.load_data(name), botocores.load_data(name)), name


def test_clients_parse_models_plainly_and_call_alike(aws):
    session = boto3.Session()
    clients = Clients(REGION, session)
    assert isinstance(session._session.get_component("data_loader").file_loader, PlainModelFiles)
    logs = clients("logs")
    logs.create_log_group(logGroupName="/plain/one")
    assert [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]] == ["/plain/one"]
