"""Soak: thousands of mixed events through the local pipeline, counted end to end.

    .venv/bin/python -m benchmarks.soak [--events 10000] [--seed 0]

An account is seeded with log groups that never expire and VPCs without flow logs (the gaps),
and compliant log groups. Waves of events then go through the template's EventBridge rules to
the evaluator, and its fix requests to the remediator: CloudTrail calls and Config items about
the seeded resources, the same event delivered twice, events about resources that no longer
exist, malformed messages and events from an account the deployment does not cover. Halfway,
a person undoes some fixes and deletes some compliant groups.

The run fails unless nothing is lost (events in = evaluated + dead-lettered, and the dead
letters are exactly the bad messages), no gap is fixed twice (the remediator's mutating calls,
counted with a botocore hook, equal the distinct gaps opened), every gap ends PASSED, and every
queue but the dead-letter queue is empty.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from logbaseline.aws import Clients
from logbaseline.controls import REGISTRY
from logbaseline.demo import SAMPLE_ACCOUNT, SAMPLE_VPC
from logbaseline.emulator import CREDENTIALS, REGION, patched_environ
from logbaseline.local import LocalStack

ROOT = Path(__file__).resolve().parent.parent
RETENTION, FLOW_LOGS = "logs_log_group_retention_bounded", "vpc_flow_logs_enabled"
OTHER_ACCOUNT = "444455556666"
# The remediator's mutating calls for the two fixes in auto (botocore service id, operation).
FIX_CALLS = {("cloudwatch-logs", "PutRetentionPolicy"): RETENTION, ("ec2", "CreateFlowLogs"): FLOW_LOGS}
# Share of each kind of message after the first event about every seeded resource.
MIX = {
    "log group call": 0.50,
    "vpc change": 0.15,
    "delivered twice": 0.12,
    "resource gone": 0.05,
    "malformed": 0.13,
    "other account": 0.05,
}


def sample(relative: str, account_id: str, vpc: str = SAMPLE_VPC) -> dict[str, Any]:
    text = (ROOT / "events" / relative).read_text().replace(SAMPLE_ACCOUNT, account_id)
    return json.loads(text.replace(SAMPLE_VPC, vpc))


@dataclass
class Traffic:
    """What one wave sends: events through EventBridge, bodies straight onto the queue (redeliveries, junk)."""

    events: list[dict[str, Any]] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    bad: int = 0  # messages that must end in the dead-letter queue

    @property
    def count(self) -> int:
        return len(self.events) + len(self.raw)


class Generator:
    """Events in the real shapes of events/, about the seeded resources."""

    def __init__(self, account_id: str, groups: list[str], vpcs: list[str], rng: random.Random):
        self.account_id, self.groups, self.vpcs, self.rng = account_id, groups, vpcs, rng
        self.templates = {
            name: sample(f"cloudtrail/logs-{name}.json", account_id)
            for name in ("CreateLogGroup", "PutRetentionPolicy", "DeleteRetentionPolicy", "DeleteLogGroup")
        }

    def log_group(self, name: str, call: str | None = None) -> dict[str, Any]:
        call = call or self.rng.choice(["CreateLogGroup", "PutRetentionPolicy", "DeleteRetentionPolicy"])
        event = json.loads(json.dumps(self.templates[call]))
        event["id"] = str(uuid.uuid4())
        event["detail"]["requestParameters"]["logGroupName"] = name
        return event

    def vpc(self, vpc: str, kind: str | None = None) -> dict[str, Any]:
        kind = kind or self.rng.choice(
            ["cloudtrail/ec2-CreateVpc.json", "cloudtrail/ec2-CreateFlowLogs.json", "config/AWS-EC2-VPC.json"]
            + ["config/oversized-AWS-EC2-VPC.json"]
        )
        return sample(kind, self.account_id, vpc) | {"id": str(uuid.uuid4())}

    def malformed(self) -> str:
        event = self.log_group(self.rng.choice(self.groups))
        kind = self.rng.randrange(5)
        if kind == 0:
            return "{not json"
        if kind == 1:
            return json.dumps({"version": "0", "id": event["id"]})  # no envelope
        if kind == 2:
            event["detail-type"] = "EC2 Instance State-change Notification"
        elif kind == 3:
            event["detail"].pop("awsRegion")
        else:
            event["detail"]["requestParameters"]["logGroupName"] = 7
        return json.dumps(event)

    def wave(self, size: int) -> Traffic:
        traffic = Traffic()
        kinds, weights = list(MIX), list(MIX.values())
        while traffic.count < size:
            kind = self.rng.choices(kinds, weights)[0]
            if kind == "log group call":
                traffic.events.append(self.log_group(self.rng.choice(self.groups)))
            elif kind == "vpc change":
                traffic.events.append(self.vpc(self.rng.choice(self.vpcs)))
            elif kind == "delivered twice" and traffic.count + 2 <= size:
                body = json.dumps(self.log_group(self.rng.choice(self.groups)))
                traffic.raw += [body, body]  # the same event id twice, as an at-least-once delivery
            elif kind == "resource gone":
                traffic.events.append(self.log_group(f"/soak/gone-{self.rng.randrange(10**6)}", "DeleteLogGroup"))
            elif kind == "malformed":
                traffic.raw.append(self.malformed())
                traffic.bad += 1
            elif kind == "other account":
                event = self.log_group(self.rng.choice(self.groups))
                event["detail"]["recipientAccountId"] = OTHER_ACCOUNT
                traffic.events.append(event)
                traffic.bad += 1
        return traffic


@dataclass
class Calls:
    """Calls the functions make, counted by a botocore hook on every session opened while counting."""

    fixes: Counter[str] = field(default_factory=Counter)  # control id -> mutating calls
    findings_imported: int = 0

    def __call__(self, event_name: str, params: Any = None, **kwargs: Any) -> None:
        _, service, operation = event_name.split(".")
        if (service, operation) in FIX_CALLS:
            self.fixes[FIX_CALLS[(service, operation)]] += 1
        elif (service, operation) == ("securityhub", "BatchImportFindings"):
            self.findings_imported += len(params.get("Findings", []))

    @contextlib.contextmanager
    def counting(self) -> Iterator[None]:
        original_init = boto3.session.Session.__init__
        hook = self

        def init(session: boto3.session.Session, *args: Any, **kwargs: Any) -> None:
            original_init(session, *args, **kwargs)
            session.events.register("before-parameter-build", hook)

        boto3.session.Session.__init__ = init  # type: ignore[method-assign]
        try:
            yield
        finally:
            boto3.session.Session.__init__ = original_init  # type: ignore[method-assign]


class FailureLines(logging.Handler):
    """Counts the functions' ERROR lines that give a reason (the message failed, with why)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() in ("could not evaluate", "could not fix") and record.exc_info:
            self.count += 1


@dataclass
class Summary:
    events: int
    evaluated: int
    dead_lettered: int
    bad_messages: int
    failed_receives: int
    failures_logged: int
    findings_imported: int
    fixes: dict[str, int]
    gaps: dict[str, int]
    seconds: float
    problems: list[str]

    def lines(self) -> list[str]:
        fixes = ", ".join(f"{control} {self.fixes.get(control, 0)}/{self.gaps[control]}" for control in self.gaps)
        return [
            f"events in:           {self.events}",
            f"evaluated:           {self.evaluated} ({self.findings_imported} findings imported)",
            f"dead-lettered:       {self.dead_lettered} (bad messages sent: {self.bad_messages})",
            f"failed receives:     {self.failed_receives} ({self.failures_logged} logged with a reason)",
            f"nothing lost:        {self.events} = {self.evaluated} + {self.dead_lettered}",
            f"fixes / gaps:        {fixes}",
            f"wall time:           {self.seconds:.1f} s ({self.events / self.seconds:.1f} events/s)",
            "result:              " + ("OK" if not self.problems else "FAILED: " + "; ".join(self.problems)),
        ]


def seed(clients: Clients, size: int) -> tuple[list[str], list[str], list[str], str]:
    """Log groups (two in three never expire), VPCs without flow logs, and the flow-log bucket."""
    logs, ec2 = clients("logs"), clients("ec2")
    groups = [f"/soak/app-{i:04d}" for i in range(max(9, size // 40))]
    gaps = []
    for index, name in enumerate(groups):
        logs.create_log_group(logGroupName=name)
        if index % 3:
            gaps.append(name)
        else:
            logs.put_retention_policy(logGroupName=name, retentionInDays=400)
    vpcs = [ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"] for _ in range(max(3, size // 250))]
    bucket = f"soak-flow-logs-{clients('sts').get_caller_identity()['Account']}"
    clients("s3").create_bucket(Bucket=bucket)
    return groups, gaps, vpcs, f"arn:aws:s3:::{bucket}"


def run(events: int = 10_000, seed_value: int = 0, wave_size: int = 1000) -> Summary:
    """The soak on the emulator that AWS_ENDPOINT_URL points at (an empty account)."""
    rng, clients, calls = random.Random(seed_value), Clients(REGION), Calls()
    groups, gap_groups, vpcs, bucket = seed(clients, events)
    modes = ",".join(f"{c}={'auto' if c in (RETENTION, FLOW_LOGS) else 'off'}" for c in REGISTRY)
    failure_lines = FailureLines()
    started = time.perf_counter()
    with calls.counting():
        stack = LocalStack(
            ROOT, REGION, {"LOGBASELINE_REMEDIATION_MODES": modes, "LOGBASELINE_FLOW_LOG_DESTINATION": bucket}
        )
        for role in ("evaluator", "remediator"):
            stack.handler(role)  # Powertools takes the logger's first handler as its own: import first
        logging.getLogger("logbaseline").addHandler(failure_lines)
        generator = Generator(stack.account_id, groups, vpcs, rng)
        first = Traffic(
            events=[generator.log_group(g, "CreateLogGroup") for g in groups]
            + [generator.vpc(v, "cloudtrail/ec2-CreateVpc.json") for v in vpcs]
        )
        waves, sent, bad = [], 0, 0
        first_size = min(wave_size, events) - first.count
        waves.append(_merge(first, generator.wave(max(0, first_size)), rng))
        sent = waves[0].count
        while sent < events:
            waves.append(generator.wave(min(wave_size, events - sent)))
            sent += waves[-1].count
        undone = gap_groups[: max(1, len(gap_groups) // 10)]
        evaluated = failed = 0
        for index, traffic in enumerate(waves):
            if index == len(waves) // 2 and index:
                traffic = _merge(traffic, _person_undoes_fixes(clients, generator, groups, undone), rng)
                waves[index] = traffic
            stack.put_events(traffic.events)
            _send_raw(stack, traffic.raw)
            evaluation = stack.drain("EvaluationQueue", "evaluator")
            fixing = stack.drain("FixQueue", "remediator")
            evaluated += evaluation.delivered
            failed += len(evaluation.failed) + len(fixing.failed)
            bad += traffic.bad
        seconds = time.perf_counter() - started
        logging.getLogger("logbaseline").removeHandler(failure_lines)
    total = sum(w.count for w in waves)
    gaps = {RETENTION: len(gap_groups) + (len(undone) if len(waves) > 1 else 0), FLOW_LOGS: len(vpcs)}
    dead = stack.queue_depth("EvaluationDeadLetterQueue")
    problems = _check(stack, clients, total, evaluated, dead, bad, calls, gaps, gap_groups, vpcs)
    return Summary(
        total,
        evaluated,
        dead,
        bad,
        failed,
        failure_lines.count,
        calls.findings_imported,
        dict(calls.fixes),
        gaps,
        seconds,
        problems,
    )


def _merge(first: Traffic, second: Traffic, rng: random.Random) -> Traffic:
    events = first.events + second.events
    rng.shuffle(events)
    return Traffic(events, first.raw + second.raw, first.bad + second.bad)


def _person_undoes_fixes(clients: Clients, generator: Generator, groups: list[str], undone: list[str]) -> Traffic:
    """Someone removes the retention the remediator set, and deletes a few compliant groups."""
    logs = clients("logs")
    for name in undone:
        logs.delete_retention_policy(logGroupName=name)
    for name in groups[::3][: max(1, len(groups) // 15)]:
        logs.delete_log_group(logGroupName=name)
    return Traffic(events=[generator.log_group(name, "DeleteRetentionPolicy") for name in undone])


def _send_raw(stack: LocalStack, bodies: list[str]) -> None:
    sqs = stack.clients("sqs")
    for start in range(0, len(bodies), 10):
        chunk = bodies[start : start + 10]
        response = sqs.send_message_batch(
            QueueUrl=stack.queues["EvaluationQueue"],
            Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(chunk)],
        )
        if response.get("Failed"):
            raise RuntimeError(f"SQS refused {response['Failed']}")


def _check(
    stack: LocalStack,
    clients: Clients,
    total: int,
    evaluated: int,
    dead: int,
    bad: int,
    calls: Calls,
    gaps: dict[str, int],
    gap_groups: list[str],
    vpcs: list[str],
) -> list[str]:
    problems = []
    if total != evaluated + dead:
        problems.append(f"lost {total - evaluated - dead} events")
    if dead != bad:
        problems.append(f"{dead} dead letters for {bad} bad messages")
    for control, expected in gaps.items():
        if calls.fixes.get(control, 0) != expected:
            problems.append(f"{control}: {calls.fixes.get(control, 0)} fixes for {expected} gaps")
    audit = clients("dynamodb").scan(TableName=stack.tables["HistoryTable"], Select="COUNT")["Count"]
    if audit != sum(calls.fixes.values()):
        problems.append(f"{audit} audit records for {sum(calls.fixes.values())} fixes")
    for queue in ("EvaluationQueue", "FixQueue", "FixDeadLetterQueue"):
        if depth := stack.queue_depth(queue):
            problems.append(f"{depth} messages left in {queue}")
    findings = {
        (f["ProductFields"]["logbaseline/ControlId"], f["Resources"][0]["Id"]): f["Compliance"]["Status"]
        for f in stack.findings()
    }
    wanted = [(RETENTION, f"arn:aws:logs:{REGION}:{stack.account_id}:log-group:{g}") for g in gap_groups]
    wanted += [(FLOW_LOGS, f"arn:aws:ec2:{REGION}:{stack.account_id}:vpc/{v}") for v in vpcs]
    not_passed = [key for key in wanted if findings.get(key) != "PASSED"]
    if not_passed:
        problems.append(f"{len(not_passed)} gaps not PASSED, e.g. {not_passed[0]}")
    return problems


@contextlib.contextmanager
def moto_process() -> Iterator[str]:
    """moto's server in its own process, so that the emulator and the functions do not share one interpreter."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("moto's server did not start")
            time.sleep(0.1)
        endpoint = f"http://127.0.0.1:{port}"
        with patched_environ({"AWS_ENDPOINT_URL": endpoint, **CREDENTIALS}):
            yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000, help="messages to send (default 10000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the mix (default 0)")
    parser.add_argument("--wave", type=int, default=1000, help="messages sent before each drain (default 1000)")
    args = parser.parse_args(argv)
    with moto_process(), open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
        # The functions log and emit metrics on stdout, as in Lambda; the summary is what matters here.
        summary = run(args.events, args.seed, args.wave)
    print(f"soak: {args.events} events requested, seed {args.seed}, waves of {args.wave}")
    print("\n".join(summary.lines()))
    return 0 if not summary.problems else 1


if __name__ == "__main__":
    sys.exit(main())
