"""The fix lock: one worker fixes a gap at a time, a crashed worker's lock lapses before its message comes back,
and a worker never releases a lock that another worker took after its own lapsed."""

from __future__ import annotations

import time

import pytest
from logbaseline import sam_template
from logbaseline.aws import Clients
from logbaseline.engine.locks import LOCK_SECONDS, FixInProgress, FixLocks

from tests.conftest import ROOT

GAP = "logbaseline/logs_log_group_retention_bounded/111122223333/eu-west-1/abc"


@pytest.fixture
def locks(aws: Clients) -> FixLocks:
    dynamodb = aws("dynamodb")
    dynamodb.create_table(
        TableName="locks",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return FixLocks("locks", dynamodb)


def lock_item(locks: FixLocks) -> dict | None:
    return locks.dynamodb.get_item(TableName="locks", Key={"id": {"S": f"lock#{GAP}"}}, ConsistentRead=True).get("Item")


def test_a_held_lock_refuses_a_second_worker_until_released(locks: FixLocks):
    with locks.hold(GAP):
        with pytest.raises(FixInProgress, match="another worker is fixing"):
            with locks.hold(GAP):
                pytest.fail("two workers held one gap")
        assert lock_item(locks) is not None, "the refused worker did not release the holder's lock"
    assert lock_item(locks) is None, "released"
    with locks.hold(GAP):
        pass  # free again


def test_a_lock_lapses_after_lock_seconds_when_the_fix_queue_brings_the_message_back(locks: FixLocks):
    """A crashed worker never releases its lock: it must lapse after the function's timeout (the fix may still be
    running until then) and before the fix queue's visibility timeout brings the message back to another worker."""
    before = int(time.time())
    with locks.hold(GAP):
        expiration = int(lock_item(locks)["expiration"]["N"])
    assert before + LOCK_SECONDS <= expiration <= int(time.time()) + LOCK_SECONDS
    template = sam_template.load(ROOT / "template.yaml")
    function_timeout = template["Globals"]["Function"]["Timeout"]
    visibility = {
        name: template["Resources"][name]["Properties"]["VisibilityTimeout"]
        for name in ("FixQueue", "PriorityFixQueue")
    }
    assert all(function_timeout < LOCK_SECONDS < seconds for seconds in visibility.values()), visibility


def test_a_lapsed_lock_is_taken_over(locks: FixLocks):
    lapsed = int(time.time()) - 1
    locks.dynamodb.put_item(
        TableName="locks",
        Item={"id": {"S": f"lock#{GAP}"}, "owner": {"S": "crashed"}, "expiration": {"N": str(lapsed)}},
    )
    with locks.hold(GAP):
        assert lock_item(locks)["owner"]["S"] != "crashed"


def test_a_worker_whose_lock_lapsed_leaves_the_next_holders_lock_alone(locks: FixLocks):
    with locks.hold(GAP):
        # Ours lapsed while the fix ran, and another worker took the gap.
        locks.dynamodb.put_item(
            TableName="locks",
            Item={
                "id": {"S": f"lock#{GAP}"},
                "owner": {"S": "next-worker"},
                "expiration": {"N": str(int(time.time()) + LOCK_SECONDS)},
            },
        )
    assert lock_item(locks)["owner"]["S"] == "next-worker"
    with pytest.raises(FixInProgress):
        with locks.hold(GAP):
            pass
