"""logbaseline measured in-process: API calls per sweep against their lower bound, reads and handler time
per single event, cold import of each handler, and where a sweep spends its time (cProfile)."""

from __future__ import annotations

import copy
import io
import json
import math
import os
import pstats
import statistics
import subprocess
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from logbaseline.aws import Clients
from logbaseline.controls import REGISTRY
from logbaseline.demo import SAMPLE_VPC, sample_events
from logbaseline.engine import AccountClients, Service, scan, sweep_event
from logbaseline.engine.evaluation import evaluate_scope
from logbaseline.engine.routing import route
from logbaseline.engine.settings import Settings

from benchmarks.seed import REGION, Inventory

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
FINDINGS_BATCH, MESSAGES_BATCH = 100, 10  # BatchImportFindings and SendMessageBatch limits
WRITES = {"BatchImportFindings", "SendMessageBatch", "BatchUpdateFindings"}
# What the sample events name, renamed to seeded resources so that each event finds its resource.
SAMPLE_LOG_GROUP, SAMPLE_TRAIL, SAMPLE_TRAIL_BUCKET = (
    "/aws/lambda/orders-api",
    "management-events",
    "org-cloudtrail-logs",
)


@dataclass
class CallLog:
    """Every API call a boto3 session makes (botocore's before-parameter-build hook), with its parameters."""

    calls: list[tuple[str, str, str]] = field(default_factory=list)  # (service, operation, parameters as JSON)
    sent: int = 0  # HTTP requests, retries included (before-send)

    def session(self) -> boto3.Session:
        session = boto3.Session()
        session.events.register("before-parameter-build", self._record)
        session.events.register("before-send", self._count_send)
        return session

    def _record(self, params: Mapping[str, Any], model: Any, **_: Any) -> None:
        service = model.service_model.service_name
        self.calls.append((service, model.name, json.dumps(params, sort_keys=True, default=str)))

    def _count_send(self, **_: Any) -> None:
        self.sent += 1

    def by_operation(self) -> dict[str, int]:
        return dict(Counter(f"{service}:{operation}" for service, operation, _ in self.calls).most_common())

    def reads(self) -> list[tuple[str, str, str]]:
        return [call for call in self.calls if call[1] not in WRITES]

    def clear(self) -> None:
        self.calls.clear()
        self.sent = 0


READ_PREFIXES = ("Describe", "List", "Get")


class ReadMemo:
    """A prototype, for measurement only, of reads shared by the controls of one evaluation: an identical read
    request (same operation, same parameters, same page) is answered from the first answer. Cleared between
    evaluations, so nothing is ever answered from an earlier event or sweep."""

    def __init__(self) -> None:
        self.answers: dict[tuple[str, str, str], tuple[Any, Any]] = {}

    def register(self, session: boto3.Session) -> None:
        session.events.register("before-call", self._answer)
        session.events.register("after-call", self._keep)

    def _answer(self, model: Any, params: Mapping[str, Any], context: dict[str, Any], **_: Any) -> Any:
        if not model.name.startswith(READ_PREFIXES):
            return None
        request = {part: params.get(part) for part in ("method", "url", "query_string", "body")}
        context["memo_key"] = key = (model.service_model.service_name, model.name, repr(request))
        if key in self.answers:
            http, parsed = self.answers[key]
            return http, copy.deepcopy(parsed)
        return None

    def _keep(self, http_response: Any, parsed: Any, context: dict[str, Any], **_: Any) -> None:
        key = context.get("memo_key")
        if key and key not in self.answers:
            self.answers[key] = (http_response, copy.deepcopy(parsed))


def _service(log: CallLog, account_id: str, fix_queue_url: str, memo: ReadMemo | None = None) -> Service:
    """A deployment as the evaluator builds it (default settings), its calls recorded; workflow updates off:
    the emulator does not implement BatchUpdateFindings."""
    session = log.session()
    if memo:
        memo.register(session)
    return Service(
        Settings.from_env({}),
        AccountClients(account_id, session),
        Clients(REGION, session),
        fix_queue_url=fix_queue_url,
        workflow=False,
    )


def prepare_deployment(clients: Clients) -> str:
    """Security Hub on, and a fix queue for the fix requests; the fix queue's URL."""
    clients("securityhub").enable_security_hub(EnableDefaultStandards=False)
    return clients("sqs").create_queue(QueueName="benchmark-fix-queue")["QueueUrl"]


def sweep_calls(inventory: Inventory, fix_queue_url: str) -> dict[str, Any]:
    """One drift sweep as the evaluator runs it (every control, findings imported, fix requests queued),
    against the lower bound: each distinct read once (every page of a listing, one call per resource only
    where the API has no list or batch form), plus the writes in full batches."""
    log = CallLog()
    service = _service(log, inventory.account_id, fix_queue_url)
    start = time.perf_counter()
    report = service.evaluate_event(sweep_event(inventory.account_id, REGION))
    seconds = time.perf_counter() - start
    reads = log.reads()
    distinct_reads = len(set(reads))
    findings = sum(o.reportable for o in report.outcomes)
    batches = math.ceil(findings / FINDINGS_BATCH) + math.ceil(len(report.fixes_requested) / MESSAGES_BATCH)
    lower_bound = distinct_reads + batches
    repeated = Counter(c for c in reads)
    return {
        "seconds": round(seconds, 3),
        "calls": len(log.calls),
        "http_requests": log.sent,
        "reads": len(reads),
        "distinct_reads": distinct_reads,
        "writes": len(log.calls) - len(reads),
        "findings": findings,
        "fix_requests": len(report.fixes_requested),
        "lower_bound": lower_bound,
        # What reaches AWS: the engine answers a read that another control of the evaluation already made.
        "ratio_to_lower_bound": round(log.sent / lower_bound, 3),
        # What a read shared by the controls of one evaluation would give: each distinct read made once.
        "ratio_if_each_read_once": round((distinct_reads + len(log.calls) - len(reads)) / lower_bound, 3),
        "by_operation": log.by_operation(),
        "repeated_reads": dict(
            Counter(f"{s}:{o}" for (s, o, _), n in repeated.items() for _ in range(n - 1)).most_common()
        ),
        "log_group_pages_needed": math.ceil(len(inventory.log_groups) / 50),  # DescribeLogGroups: 50 a page
    }


def sweep_with_memo(inventory: Inventory, fix_queue_url: str) -> dict[str, Any]:
    """The same sweep with the ReadMemo prototype: the HTTP requests it makes. (Its wall time is not
    comparable: the emulator's BatchImportFindings slows down as its store of findings grows.)"""
    log, memo = CallLog(), ReadMemo()
    service = _service(log, inventory.account_id, fix_queue_url, memo)
    service.evaluate_event(sweep_event(inventory.account_id, REGION))
    return {"http_requests": log.sent}


def warm_scan_seconds(inventory: Inventory, controls: Sequence[str], repeats: int, memo: bool = False) -> float:
    """Median time of the engine's read-only scan in a warm process (clients made, modules imported),
    as a warm Lambda container pays it; with `memo`, with the ReadMemo prototype, cleared between scans."""
    session, read_memo = boto3.Session(), ReadMemo()
    if memo:
        read_memo.register(session)
    clients_for = AccountClients(inventory.account_id, session)
    settings = Settings.from_env({})
    scan(clients_for, inventory.account_id, [REGION], controls, settings)  # warm
    samples = []
    for _ in range(repeats):
        read_memo.answers.clear()
        start = time.perf_counter()
        scan(clients_for, inventory.account_id, [REGION], controls, settings)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def per_control_calls(inventory: Inventory) -> dict[str, dict[str, int]]:
    """Each control's reads in a read-only scan of the region, and how many of them were distinct."""
    result = {}
    for control_id in REGISTRY:
        log = CallLog()
        clients_for = AccountClients(inventory.account_id, log.session())
        scan(clients_for, inventory.account_id, [REGION], [control_id], Settings.from_env({}))
        result[control_id] = {"calls": len(log.calls), "distinct": len(set(log.calls))}
    return result


def single_events(inventory: Inventory, fix_queue_url: str, repeats: int) -> dict[str, Any]:
    """Each sample event through Service.evaluate_event: reads per event, and handler time p50/p95."""
    no_flow_log = next(vpc for vpc, has_log in inventory.vpcs.items() if not has_log)
    never_expires = next(name for name, days in inventory.log_groups.items() if days is None)
    renames = {
        SAMPLE_VPC: no_flow_log,
        SAMPLE_LOG_GROUP: never_expires,
        SAMPLE_TRAIL: inventory.trails[0],
        f"{SAMPLE_TRAIL_BUCKET}-{inventory.account_id}": inventory.trail_buckets[0],
    }
    events = sample_events(ROOT / "events", inventory.account_id, renames)
    log, memo_log, memo = CallLog(), CallLog(), ReadMemo()
    service = _service(log, inventory.account_id, fix_queue_url)
    with_memo = _service(memo_log, inventory.account_id, fix_queue_url, memo)
    settings = Settings.from_env({})
    per_event: dict[str, dict[str, Any]] = {}
    timings: list[float] = []
    for event in events:
        name = f"{event['detail-type'].split()[0]} {_event_name(event)}"
        service.evaluate_event(event)  # warm: clients created, as in a container that has served one event
        samples = []
        for _ in range(repeats):
            log.clear()
            start = time.perf_counter()
            report = service.evaluate_event(event)
            samples.append(time.perf_counter() - start)
        reads, writes = log.reads(), len(log.calls) - len(log.reads())
        reads_sent = log.sent - writes  # the reads that reached the emulator in the last evaluation
        memo.answers.clear()
        memo_log.clear()
        with_memo.evaluate_event(event)
        requests_with_memo = memo_log.sent - writes
        per_control = {}
        for target in route(event):  # the same reads, one control at a time
            log.clear()
            clients = service.clients_for(target.scope.account_id, target.scope.region)
            evaluate_scope(target.control, target.scope, clients, settings)
            per_control[target.control.id] = len(log.reads())
        per_event[name] = {
            "reads": reads_sent,
            "reads_asked": len(reads),
            "distinct_reads": len(set(reads)),
            "reads_with_memo": requests_with_memo,
            "reads_by_control": per_control,
            "read_operations": sorted(f"{s}:{o}" for s, o, _ in reads),
            "writes": writes,
            "outcomes": len(report.outcomes),
            "p50_ms": round(statistics.median(samples) * 1000, 2),
        }
        timings += samples
    reads_per_event = [e["reads"] for e in per_event.values()]
    return {
        "events": len(per_event),
        "repeats": repeats,
        "reads_max": max(reads_per_event),
        "reads_median": statistics.median(reads_per_event),
        "over_3_reads": {name: e["reads"] for name, e in per_event.items() if e["reads"] > 3},
        "events_within_3_reads": sum(n <= 3 for n in reads_per_event),
        "distinct_reads_max": max(e["distinct_reads"] for e in per_event.values()),
        "events_within_3_reads_with_memo": sum(e["reads_with_memo"] <= 3 for e in per_event.values()),
        "reads_max_one_control": max(max(e["reads_by_control"].values(), default=0) for e in per_event.values()),
        "handler_p50_ms": round(_percentile(timings, 50) * 1000, 2),
        "handler_p95_ms": round(_percentile(timings, 95) * 1000, 2),
        "per_event": per_event,
    }


def _event_name(event: Mapping[str, Any]) -> str:
    detail = event["detail"]
    return detail.get("eventName") or detail.get("configurationItem", {}).get("resourceType") or "oversized item"


def _percentile(samples: list[float], percent: int) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, math.ceil(percent / 100 * len(ordered)) - 1)]


# --- cold imports ----------------------------------------------------------------------------------

HANDLER_ENV = {
    "POWERTOOLS_SERVICE_NAME": "logbaseline",
    "POWERTOOLS_METRICS_NAMESPACE": "logbaseline",
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
    "IDEMPOTENCY_TABLE": "benchmark-idempotency",
}
FLOOR = "import boto3\nfrom aws_lambda_powertools import Logger, Metrics, Tracer\nLogger(), Metrics(), Tracer()"
TIMED_IMPORT = """
import sys, time
start = time.perf_counter()
{code}
print(time.perf_counter() - start)
"""


def _handler_env(path: Path | None = None) -> dict[str, str]:
    """The handlers' environment; bytecode may be cached, as pip caches it for the layer's packages."""
    prefixes = ("AWS_", "POWERTOOLS_", "LOGBASELINE_", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)} | HANDLER_ENV
    if path:
        env["PYTHONPATH"] = str(path)
    return env


def _import_seconds(code: str, path: Path | None = None) -> float:
    env = _handler_env(path)
    if path:
        env["PYTHONPATH"] = str(path)
    done = subprocess.run(
        [str(PYTHON), "-c", TIMED_IMPORT.format(code=code)], env=env, capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip().splitlines()[-1])


def cold_imports(repeats: int) -> dict[str, Any]:
    """Seconds to import each handler in a fresh interpreter, against the bare floor (boto3, and Powertools'
    Logger, Metrics and Tracer constructed, as every handler does). Measured in rounds, the floor and every
    handler once a round, so a change of machine load between them cannot skew the ratio; medians reported."""
    roles = sorted(p.name for p in (ROOT / "functions").iterdir() if (p / "app.py").exists())
    for role in roles:  # once untimed: bytecode written, files in the page cache
        _import_seconds("import app", ROOT / "functions" / role)
    floors, seconds, ratios = [], {role: [] for role in roles}, {role: [] for role in roles}
    for _ in range(repeats):
        floors.append(_import_seconds(FLOOR))
        for role in roles:
            seconds[role].append(_import_seconds("import app", ROOT / "functions" / role))
            ratios[role].append(seconds[role][-1] / floors[-1])
    handlers = {
        role: {
            "ms": round(statistics.median(seconds[role]) * 1000, 1),
            "ratio_to_floor": round(statistics.median(ratios[role]), 3),
        }
        for role in roles
    }
    return {"floor_ms": round(statistics.median(floors) * 1000, 1), "repeats": repeats, "handlers": handlers}


def import_breakdown(role: str, top: int = 12) -> list[tuple[str, float]]:
    """What a handler imports beyond the floor (`python -X importtime`, the floor imported first), by
    cumulative milliseconds: only the modules the floor did not already bring."""
    marker = "--floor imported--"
    code = f"{FLOOR}\nimport sys\nsys.stderr.write({marker!r} + '\\n')\nimport app"
    env = _handler_env(ROOT / "functions" / role)
    done = subprocess.run([str(PYTHON), "-X", "importtime", "-c", code], env=env, capture_output=True, text=True)
    rows = []
    for line in done.stderr.split(marker, 1)[-1].splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        rows.append((name, int(cumulative) / 1000))
    return sorted(rows, key=lambda row: -row[1])[:top]


# --- profile ---------------------------------------------------------------------------------------

# Where own time (tottime) goes, by the file a function lives in; the first matching prefix wins.
OWN_TIME_GROUPS = (
    ("waiting on the emulator (sockets)", ("~",)),
    ("logbaseline", ("layers/logbaseline/",)),
    ("botocore, boto3, urllib3 (build, sign, send, parse)", ("botocore/", "boto3/", "urllib3/", "s3transfer/")),
    ("json", ("json/",)),
)


def profile_scan(env: Mapping[str, str], work: Path, controls: Sequence[str]) -> dict[str, Any]:
    """cProfile of one `logbaseline scan` process (the client side only: the emulator runs elsewhere)."""
    stats_path, out = work / "scan.prof", work / "scan.json"
    command = [str(PYTHON), "-m", "cProfile", "-o", str(stats_path), str(ROOT / ".venv" / "bin" / "logbaseline")]
    command += ["scan", "--format", "json", "--regions", REGION, "--output", str(out)]
    if controls:
        command += ["--controls", ",".join(controls)]
    start = time.perf_counter()
    subprocess.run(command, env=dict(env), check=True, capture_output=True)
    wall = time.perf_counter() - start
    stats = pstats.Stats(str(stats_path))
    cumulative = {}
    own = {name: 0.0 for name, _ in OWN_TIME_GROUPS} | {"other": 0.0}
    functions = []
    for (filename, line, function), (_, _, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        path = filename.replace(str(ROOT) + "/", "")
        group = next((name for name, prefixes in OWN_TIME_GROUPS if any(p in path for p in prefixes)), "other")
        if path == "~" and "socket" not in function and "select" not in function:
            group = "other"
        own[group] += tottime
        key = f"{Path(filename).name}:{line}({function})"
        functions.append((key, tottime, cumtime))
        if function in ("_find_and_load", "scan_command", "create_client", "_send", "_api_call", "parse"):
            name = f"{Path(filename).name}:{function}"
            cumulative[name] = max(cumulative.get(name, 0.0), cumtime)
    text = io.StringIO()
    pstats.Stats(str(stats_path), stream=text).sort_stats("cumulative").print_stats(40)
    return {
        "controls": list(controls) or "all",
        "wall_seconds": round(wall, 3),
        "profiled_seconds": round(stats.total_tt, 3),  # type: ignore[attr-defined]
        "cumulative_seconds": {
            "imports": round(cumulative.get("<frozen importlib._bootstrap>:_find_and_load", 0.0), 3),
            "scan command": round(cumulative.get("cli.py:scan_command", 0.0), 3),
            "client creation": round(cumulative.get("session.py:create_client", 0.0), 3),
            "API calls": round(cumulative.get("client.py:_api_call", 0.0), 3),
            "HTTP round trips": round(cumulative.get("endpoint.py:_send", 0.0), 3),
            "response parsing": round(cumulative.get("parsers.py:parse", 0.0), 3),
        },
        "own_seconds_by_group": {name: round(seconds, 3) for name, seconds in own.items()},
        "top_own_time": [(name, round(t, 3)) for name, t, _ in sorted(functions, key=lambda f: -f[1])[:15]],
        "text": text.getvalue(),
    }
