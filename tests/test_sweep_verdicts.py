"""The sweep's speed never changes a verdict: every control judged at once, in threads, sharing its reads (answers
and lasting errors alike), gives each resource the verdict that control gives when it reads everything itself."""

from __future__ import annotations

import re
from collections import Counter

import boto3
from logbaseline import demo
from logbaseline.aws import Clients
from logbaseline.checkpoints import MemoryCheckpoints, keeping_checkpoints
from logbaseline.controls import REGISTRY, all_controls
from logbaseline.engine import AccountClients, scan
from logbaseline.engine.evaluation import evaluate_scope
from logbaseline.engine.settings import Settings
from logbaseline.models import Scope

from tests.conftest import REGION


def _counting_session() -> tuple[boto3.Session, Counter[str]]:
    """A session that counts the HTTP requests reaching the emulator, by operation."""
    session, sent = boto3.Session(), Counter()

    def name(model, context, **kwargs):
        context["operation"] = model.name

    session.events.register("before-call", name)
    session.events.register("before-send", lambda request, **kwargs: sent.update([request.context["operation"]]))
    return session, sent


# A reason may name the moment a control read from ("no new digest since ..."): the two passes run seconds apart.
MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def _verdicts(outcomes) -> Counter[tuple[str, str, str, str]]:
    return Counter(
        (o.control.id, o.resource_id, o.verdict.status.value, MOMENT.sub("<moment>", o.verdict.reason))
        for o in outcomes
    )


def test_the_sweep_gives_every_resource_the_verdict_its_control_gives_alone(aws, account_id):
    seeded = demo.seed_gaps(aws)
    s3 = aws("s3")
    for index in range(3):  # buckets with no policy, lifecycle or Block Public Access: "no such ..." answers
        s3.create_bucket(Bucket=f"plain-{index}-{account_id}")
    settings = Settings.from_env(seeded.environment)

    alone: list = []
    alone_sent: Counter[str] = Counter()
    with keeping_checkpoints(MemoryCheckpoints()):  # each pass starts where an incremental control never read
        for control in all_controls():  # one at a time, own clients, nothing shared: every read goes to AWS
            session, sent = _counting_session()
            alone += evaluate_scope(control, Scope(account_id, REGION), Clients(REGION, session), settings)
            alone_sent += sent

    session, swept_sent = _counting_session()
    with keeping_checkpoints(MemoryCheckpoints()):
        swept = scan(AccountClients(account_id, session), account_id, [REGION], settings=settings)

    seeded = set(REGISTRY) - set(demo.NOT_SEEDED)  # the demo says why it cannot seed those (the emulator lacks them)
    assert {o.control.id for o in alone} == seeded, "the seeded account gives every control it can a resource"
    assert _verdicts(swept) == _verdicts(alone)
    assert sum(swept_sent.values()) < sum(alone_sent.values())
    # Each bucket's policy is read once for every control that asks, whether it has one or not.
    buckets = len(s3.list_buckets()["Buckets"])
    assert swept_sent["GetBucketPolicy"] <= buckets < alone_sent["GetBucketPolicy"], (swept_sent, alone_sent)
