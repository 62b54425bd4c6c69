"""AWS's request rates: the emulator throttles as AWS does, and the service keeps under them."""

from __future__ import annotations

import time

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from logbaseline import emulator
from logbaseline.aws import Clients
from logbaseline.quotas import RATES, Pacer, Rate, TokenBucket, rate_of

from tests.conftest import REGION


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_a_bucket_allows_its_burst_then_its_rate():
    clock = Clock()
    bucket = TokenBucket(Rate(3, 6, "test"), lambda: clock.now)
    assert [bucket.take() for _ in range(7)] == [True] * 6 + [False]
    clock.now += 1
    assert [bucket.take() for _ in range(4)] == [True] * 3 + [False]


def test_the_pacer_waits_for_each_calls_turn_per_account_region_and_operation():
    clock = Clock()
    pacer = Pacer(clock=lambda: clock.now, sleep=clock.sleep)
    for _ in range(6 + 30):  # GetFindings: burst 6, then 3 per second
        pacer.wait("111122223333", "eu-west-1", "securityhub", "GetFindings")
    assert clock.now == pytest.approx(10.0)
    assert pacer.ready("111122223333", "us-east-1", "securityhub", "GetFindings"), "another region's own quota"
    assert pacer.ready("444455556666", "eu-west-1", "securityhub", "GetFindings"), "another account's own quota"
    assert pacer.wait("111122223333", "eu-west-1", "logs", "DescribeLogGroups") == 0, "no published rate: no wait"


def test_every_rate_names_its_source_and_security_hubs_match_its_service_model():
    assert all(rate.source for rate in RATES.values())
    assert (rate_of("securityhub", "GetFindings").per_second, rate_of("securityhub", "GetFindings").burst) == (3, 6)
    assert rate_of("securityhub", "EnableSecurityHub") == RATES[("securityhub", "*")]
    import botocore.session

    documentation = botocore.session.get_session().get_service_model("securityhub").documentation
    for operation in ("GetFindings", "BatchImportFindings", "BatchUpdateFindings", "BatchEnableStandards"):
        rate = RATES[("securityhub", operation)]
        said = f"<code>{operation}</code> - <code>RateLimit</code> of {rate.per_second:g} request"
        assert said in documentation, operation


def test_the_emulator_throttles_security_hub_as_aws_does_and_a_retrying_client_gets_through(aws: Clients):
    gateway = emulator.GATEWAY
    assert gateway is not None
    gateway.clock = lambda: 0.0  # time stands still: no token comes back
    gateway.reset()
    hub = Clients(REGION, config=Config(retries={"mode": "standard", "total_max_attempts": 1}))("securityhub")
    answers = []
    for _ in range(10):
        try:
            hub.get_findings(MaxResults=1)
            answers.append("ok")
        except ClientError as error:
            answers.append(error.response["Error"]["Code"])
            assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert answers == ["ok"] * 6 + ["LimitExceededException"] * 4, "a burst of 6, then nothing at a standstill"
    assert gateway.throttled[("securityhub", "GetFindings")] == 4
    gateway.clock = time.monotonic
    gateway.reset()
    patient = Clients(REGION, config=Config(retries={"mode": "standard", "max_attempts": 10}))("securityhub")
    assert [patient.get_findings(MaxResults=1)["Findings"] for _ in range(10)] == [[]] * 10
    assert gateway.throttled[("securityhub", "GetFindings")] >= 1, "the last four waited for their tokens"
