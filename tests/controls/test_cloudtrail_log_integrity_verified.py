"""cloudtrail_log_integrity_verified: the verdicts, the digest chain verified on a generated trail bucket in real
format (signed with the emulator's ListPublicKeys key), every tamper case, and the incremental checkpoint."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from logbaseline import emulator
from logbaseline.checkpoints import MemoryCheckpoints, TableCheckpoints, keeping_checkpoints
from logbaseline.controls._digests import new_digest_keys, string_to_sign
from logbaseline.controls._digests import verify as verify_digests
from logbaseline.controls.cloudtrail_log_integrity_verified import CONTROL, MAX_DIGESTS
from logbaseline.emulation.trail_digests import TrailDelivery, fingerprint_of, new_private_key, sign
from logbaseline.models import Resource, Scope, Severity, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

NAME, BUCKET = "management-events", "org-cloudtrail-logs-123456789012"  # as in the sample events


def state(**changes):
    base = {"name": NAME, "validation": True, "organization": False, "problems": [], "digests": 3, "log_files": 6}
    base |= {"intact_until": "2026-12-04T10:00:00Z", "checked_from": "2026-12-03T10:00:00Z", "more": False}
    return base | changes


@pytest.mark.parametrize(
    ("changes", "status", "phrase"),
    [
        ({}, Status.PASSED, "3 digest(s) and 6 log file(s) verified"),
        ({"more": True}, Status.PASSED, "more digests wait for the next run"),
        ({"digests": 0, "log_files": 0}, Status.PASSED, "no new digest since 2026-12-04T10:00:00Z"),
        ({"digests": 0, "intact_until": ""}, Status.PASSED, "no new digest since 2026-12-03T10:00:00Z"),
        ({"validation": False}, Status.NOT_APPLICABLE, "log file validation is off"),
        ({"organization": True}, Status.NOT_APPLICABLE, "organization trail"),
        ({"problems": ["s3://b/k (h): log file missing"]}, Status.FAILED, "1 integrity problem(s)"),
        ({"problems": [f"p{i}" for i in range(5)]}, Status.FAILED, "p0; p1; p2; and 2 more"),
    ],
)
def test_evaluate(changes, status, phrase):
    """Any problem fails (CRITICAL, no fix); nothing to verify is no failure; validation off is another control's."""
    arn = f"arn:aws:cloudtrail:{REGION}:123456789012:trail/{NAME}"
    verdict = CONTROL.evaluate(Resource("123456789012", REGION, arn, state(**changes)), {})
    assert verdict.status is status and phrase in verdict.reason and not verdict.fixable
    assert CONTROL.severity is Severity.CRITICAL and CONTROL.remediate is None


def test_as_many_problems_as_the_finding_shows_are_all_named_and_no_more_counted():
    arn = f"arn:aws:cloudtrail:{REGION}:123456789012:trail/{NAME}"
    verdict = CONTROL.evaluate(Resource("123456789012", REGION, arn, state(problems=["p0", "p1", "p2"])), {})
    assert verdict.reason.endswith(": p0; p1; p2")


# --- a generated trail bucket on the moto server -----------------------------------------


def hours_ago(n: int) -> datetime:
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=n)


@pytest.fixture
def delivery(aws, account_id):
    """A validating trail whose bucket holds three hours of log files and signed digests, the newest an hour old."""
    aws("s3").create_bucket(Bucket=BUCKET)
    aws("cloudtrail").create_trail(Name=NAME, S3BucketName=BUCKET, EnableLogFileValidation=True)
    key = emulator.GATEWAY.signing_keys.private_key(REGION)
    trail = TrailDelivery(aws("s3"), key, account_id, REGION, NAME, BUCKET)
    for n in (3, 2, 1):
        trail.deliver_hour(hours_ago(n))
    return trail


@pytest.fixture
def calls(aws):
    """The S3 and CloudTrail calls the verifier makes, by operation."""
    counted: Counter[str] = Counter()
    for service in ("s3", "cloudtrail"):
        aws(service).meta.events.register(
            f"before-call.{service}", lambda model, **kwargs: counted.update([model.name])
        )
    return counted


def verify(aws, account_id, store):
    with keeping_checkpoints(store):
        [resource] = CONTROL.collect(aws, Scope(account_id, REGION))
    return resource, CONTROL.evaluate(resource, {})


def test_an_intact_chain_passes(aws, account_id, delivery, calls):
    resource, verdict = verify(aws, account_id, MemoryCheckpoints())
    assert verdict.status is Status.PASSED, verdict.reason
    assert (resource.state["digests"], resource.state["log_files"]) == (3, 6)
    assert resource.state["intact_until"] == hours_ago(1).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert calls == {"DescribeTrails": 1, "ListObjectsV2": 1, "ListPublicKeys": 1, "GetObject": 9}


def put_digest(s3, key, digest, metadata):
    s3.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(json.dumps(digest).encode()), Metadata=metadata)


def read_digest(s3, key):
    obj = s3.get_object(Bucket=BUCKET, Key=key)
    return json.loads(gzip.decompress(obj["Body"].read())), obj["Metadata"]


def delete_log(s3, trail, middle):
    s3.delete_object(Bucket=BUCKET, Key=trail.logs[middle][0])
    return trail.logs[middle][0], "log file missing"


def alter_log(s3, trail, middle):
    s3.put_object(Bucket=BUCKET, Key=trail.logs[middle][1], Body=gzip.compress(b'{"Records": []}'))
    return trail.logs[middle][1], "log file altered"


def alter_digest(s3, trail, middle):
    digest, metadata = read_digest(s3, middle)
    digest["logFiles"] = digest["logFiles"][1:]  # hide a log file from the record, keep the signature
    put_digest(s3, middle, digest, metadata)
    return middle, "signature does not verify"


def re_sign_with_another_key(s3, trail, middle):
    digest, metadata = read_digest(s3, middle)
    digest["logFiles"] = digest["logFiles"][1:]
    inflated = json.dumps(digest).encode()
    s3.put_object(Bucket=BUCKET, Key=middle, Body=gzip.compress(inflated), Metadata=metadata | {
        "signature": sign(new_private_key(), digest, inflated)})  # fmt: skip
    return middle, "signature does not verify"


def unsign(s3, trail, middle):
    digest, _ = read_digest(s3, middle)
    put_digest(s3, middle, digest, {})
    return middle, "unsigned"


def drop_algorithm(s3, trail, middle):
    digest, metadata = read_digest(s3, middle)
    put_digest(s3, middle, digest, {"signature": metadata["signature"]})  # signed, but with what?
    return middle, "unsigned"


def break_chain(s3, trail, middle):
    s3.delete_object(Bucket=BUCKET, Key=middle)
    return middle, "previous digest missing"


@pytest.mark.parametrize(
    "tamper",
    [delete_log, alter_log, alter_digest, re_sign_with_another_key, unsign, drop_algorithm, break_chain],
    ids=str,
)
def test_each_tampering_fails_naming_the_file_and_the_hour(aws, account_id, delivery, tamper):
    middle = delivery.digests[1]
    file, phrase = tamper(aws("s3"), delivery, middle)
    resource, verdict = verify(aws, account_id, MemoryCheckpoints())
    assert verdict.status is Status.FAILED
    assert f"s3://{BUCKET}/{file}" in verdict.reason and phrase in verdict.reason
    hour = hours_ago(2)
    assert hour.strftime("%Y%m%dT%H%M%SZ") in verdict.reason or hour.strftime("%Y-%m-%dT%H:%M:%SZ") in verdict.reason
    assert resource.state["intact_until"] == hours_ago(3).strftime("%Y-%m-%dT%H:%M:%SZ")  # before the problem


def test_a_missing_previous_digest_is_named_with_the_hour_its_key_ends(aws, account_id, delivery):
    middle = delivery.digests[1]
    aws("s3").delete_object(Bucket=BUCKET, Key=middle)
    resource, _ = verify(aws, account_id, MemoryCheckpoints())
    [problem] = resource.state["problems"]
    assert problem.startswith(f"s3://{BUCKET}/{middle} (hour ending {hours_ago(2):%Y%m%dT%H%M%SZ}): previous digest")


def test_a_log_file_that_is_no_longer_gzip_is_named_altered(aws, account_id, delivery):
    log = delivery.logs[delivery.digests[1]][0]
    aws("s3").put_object(Bucket=BUCKET, Key=log, Body=b'{"Records": []}')
    resource, _ = verify(aws, account_id, MemoryCheckpoints())
    assert [p for p in resource.state["problems"] if p.startswith(f"s3://{BUCKET}/{log} (")] == [
        f"s3://{BUCKET}/{log} ({hours_ago(3):%Y-%m-%dT%H:%M:%SZ} to {hours_ago(2):%Y-%m-%dT%H:%M:%SZ}): "
        "log file altered: it is no longer gzip"
    ]


def test_a_digest_gone_or_not_cloudtrails_json_is_named_with_the_hour_its_key_ends(aws, account_id, delivery):
    s3, last = aws("s3"), f"{hours_ago(1):%Y%m%dT%H%M%SZ}"
    stamps = [f"{hours_ago(0) + timedelta(seconds=n):%Y%m%dT%H%M%SZ}" for n in range(4)]
    keys = [delivery.digests[2].replace(last, stamp) for stamp in stamps]
    bodies = (gzip.compress(b"[]"), gzip.compress(b'{"digestStartTime": 1}'), b'{"not": "gzip"}')
    for key, body in zip(keys[1:], bodies, strict=True):
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    result = verify_digests(s3, BUCKET, keys, {}, None)  # the first listed, then deleted
    unreadable = "digest unreadable: not the gzipped JSON CloudTrail writes"
    assert [(p.file, p.hour, p.what) for p in result.problems] == [
        (f"s3://{BUCKET}/{keys[0]}", f"hour ending {stamps[0]}", "digest missing: deleted while being verified"),
        *[(f"s3://{BUCKET}/{k}", f"hour ending {h}", unreadable) for k, h in zip(keys[1:], stamps[1:], strict=True)],
    ]


def test_a_digest_copied_to_another_key_is_named_moved_and_vouches_for_no_log_file(aws, account_id, delivery):
    s3, last = aws("s3"), delivery.digests[2]
    moved = last.replace("CloudTrail-Digest/", "CloudTrail-Digest/copy-")
    put_digest(s3, moved, *read_digest(s3, last))  # the same object, signature and all, at another key
    result = verify_digests(s3, BUCKET, [moved], {}, None)
    assert [p.what for p in result.problems] == ["moved from where it was written"] and result.log_files == 0


def test_on_a_first_run_an_unreadable_oldest_digest_leaves_nothing_vouched_for_by_the_intact_ones_after_it(
    aws, account_id, delivery
):
    s3, key = aws("s3"), emulator.GATEWAY.signing_keys.private_key(REGION)
    s3.put_object(Bucket=BUCKET, Key=delivery.digests[0], Body=b"not gzip")
    result = verify_digests(s3, BUCKET, delivery.digests, {fingerprint_of(key): key.public_key()}, None)
    assert [p.what for p in result.problems] == ["digest unreadable: not the gzipped JSON CloudTrail writes"]
    assert result.digests == 2 and result.intact_until is None


def test_only_this_trails_digest_files_are_listed(aws, account_id, delivery):
    """Another trail's digests share the prefix, one with a name of the same length; other files may sit there."""
    s3, last = aws("s3"), delivery.digests[-1]
    for stray in (last.replace(f"_{NAME}_", f"_{NAME[:-1]}z_"), last + ".tmp", last.replace(".json.gz", ".json")):
        s3.put_object(Bucket=BUCKET, Key=stray, Body=b"")
    prefix, name = last.rsplit("/", 4)[0] + "/", last.rsplit("/", 1)[-1][: -len("YYYYMMDDTHHMMSSZ.json.gz")]
    assert new_digest_keys(s3, BUCKET, prefix, name, "", 10) == delivery.digests


def test_the_string_signed_is_the_one_the_cloudtrail_user_guide_gives_with_null_for_the_first_digest():
    """The emulator signs with the verifier's own string_to_sign, so its format is held to the guide here: digest end
    time, bucket/key, SHA-256 of the inflated digest, previous signature ("Custom implementations of CloudTrail log
    file integrity validation")."""
    digest = {"digestEndTime": "2026-12-05T05:00:00Z", "digestS3Bucket": "b", "digestS3Object": "k.json.gz"}
    sha = "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"  # sha256(b"x")
    assert string_to_sign(digest | {"previousDigestSignature": None}, b"x").decode() == (
        f"2026-12-05T05:00:00Z\nb/k.json.gz\n{sha}\nnull"
    )
    assert string_to_sign(digest | {"previousDigestSignature": "9f0e"}, b"x").decode().endswith(f"{sha}\n9f0e")


def test_a_digest_signed_with_an_unlisted_key_fails(aws, account_id, delivery):
    forger = new_private_key()
    forged = TrailDelivery(aws("s3"), forger, delivery.account_id, REGION, NAME, BUCKET, previous=delivery.previous)
    key = forged.deliver_hour(hours_ago(0))
    _, verdict = verify(aws, account_id, MemoryCheckpoints())
    assert verdict.status is Status.FAILED
    assert f"s3://{BUCKET}/{key}" in verdict.reason and "a key CloudTrail does not list" in verdict.reason


def test_a_second_run_reads_only_the_new_digests(aws, account_id, delivery, calls):
    store = MemoryCheckpoints()
    verify(aws, account_id, store)
    assert calls["GetObject"] == 9
    delivery.deliver_hour(hours_ago(0))
    calls.clear()
    resource, verdict = verify(aws, account_id, store)
    assert verdict.status is Status.PASSED and resource.state["digests"] == 1  # the chain link to the kept one held
    assert calls == {"DescribeTrails": 1, "ListObjectsV2": 1, "ListPublicKeys": 1, "GetObject": 3}
    calls.clear()
    resource, verdict = verify(aws, account_id, store)
    assert "no new digest since" in verdict.reason
    assert calls == {"DescribeTrails": 1, "ListObjectsV2": 1}  # nothing new: no key, no object read


def test_a_deleted_digest_before_the_new_ones_breaks_the_chain_on_the_next_run(aws, account_id, delivery):
    store = MemoryCheckpoints()
    verify(aws, account_id, store)
    lost = delivery.deliver_hour(hours_ago(0) + timedelta(minutes=1))
    delivery.deliver_hour(hours_ago(0) + timedelta(minutes=2))
    aws("s3").delete_object(Bucket=BUCKET, Key=lost)
    _, verdict = verify(aws, account_id, store)
    assert verdict.status is Status.FAILED and f"s3://{BUCKET}/{lost}" in verdict.reason


def test_a_failure_holds_the_checkpoint_so_it_stays_failed_until_restored(aws, account_id, delivery):
    store, middle = MemoryCheckpoints(), delivery.digests[1]
    digest, metadata = read_digest(aws("s3"), middle)
    put_digest(aws("s3"), middle, digest, {})
    for _ in range(2):
        assert verify(aws, account_id, store)[1].status is Status.FAILED
    put_digest(aws("s3"), middle, digest, metadata)  # restored from a copy
    resource, verdict = verify(aws, account_id, store)
    assert verdict.status is Status.PASSED and resource.state["digests"] == 2


def test_a_run_verifies_at_most_max_digests_and_the_next_goes_on(aws, account_id, delivery):
    store = MemoryCheckpoints()
    for n in range(MAX_DIGESTS + 1):
        delivery.deliver_hour(hours_ago(0) + timedelta(seconds=n + 1), log_files=0)
    first, _ = verify(aws, account_id, store)
    assert first.state["digests"] == MAX_DIGESTS and first.state["more"]
    second, verdict = verify(aws, account_id, store)
    assert second.state["digests"] == 4 and not second.state["more"] and verdict.status is Status.PASSED


def test_the_emulated_list_public_keys_refuses_what_aws_refuses(aws):
    cloudtrail = aws("cloudtrail")
    with pytest.raises(ClientError) as error:
        cloudtrail.list_public_keys(StartTime=hours_ago(0), EndTime=hours_ago(5))
    assert error.value.response["Error"]["Code"] == "InvalidTimeRangeException"
    with pytest.raises(ClientError) as error:
        cloudtrail.list_public_keys(NextToken="forged")
    assert error.value.response["Error"]["Code"] == "InvalidTokenException"
    [key] = cloudtrail.list_public_keys(StartTime=hours_ago(5))["PublicKeyList"]
    assert isinstance(key["Value"], bytes) and set(key) == {
        "Value", "ValidityStartTime", "ValidityEndTime", "Fingerprint"}  # fmt: skip


def test_table_checkpoints_never_move_back(aws):
    dynamodb = aws("dynamodb")
    dynamodb.create_table(
        TableName="checkpoints",
        AttributeDefinitions=[{"AttributeName": "checkpoint", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "checkpoint", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    store = TableCheckpoints("checkpoints", aws)
    assert store.get("trail#region") is None
    store.advance("trail#region", "2026-12-04T10:00:00Z", {"file": "s3://b/new", "signature": "ab"})
    store.advance("trail#region", "2026-12-04T09:00:00Z", {"file": "s3://b/old", "signature": "cd"})
    assert store.get("trail#region")["file"] == "s3://b/new"


def test_round_trip_a_trail_event_reports_the_tampering_as_a_critical_finding(aws, account_id, delivery):
    delivery.s3.delete_object(Bucket=BUCKET, Key=delivery.logs[delivery.digests[2]][0])
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=off")  # no other control's fix
    report = service.evaluate_event(load_event("cloudtrail/cloudtrail-UpdateTrail.json"))
    [outcome] = [o for o in report.outcomes if o.control is CONTROL]
    assert outcome.verdict.status is Status.FAILED and report.fixes_requested == []
    finding = findings_by_resource(aws)[(CONTROL.id, outcome.resource_id)]
    assert finding["Compliance"]["Status"] == "FAILED" and finding["Severity"]["Label"] == "CRITICAL"
    assert delivery.logs[delivery.digests[2]][0] in finding["Description"] + json.dumps(finding["ProductFields"])


def test_round_trip_a_deleted_trail_is_archived(aws, account_id, delivery):
    delivery.s3.delete_object(Bucket=BUCKET, Key=delivery.digests[1])
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=off")
    service.evaluate_event(load_event("cloudtrail/cloudtrail-UpdateTrail.json"))
    arn = f"arn:aws:cloudtrail:{REGION}:{account_id}:trail/{NAME}"
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["RecordState"] == "ACTIVE"
    aws("cloudtrail").delete_trail(Name=NAME)
    report = service.evaluate_event(load_event("cloudtrail/cloudtrail-DeleteTrail.json"))
    [gone] = [o for o in report.outcomes if o.control is CONTROL]
    assert (gone.present, gone.resource_id) == (False, arn)
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["RecordState"] == "ARCHIVED"
