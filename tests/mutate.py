"""Mutation testing with Cosmic Ray: `make mutate` (every target) or `make mutate TARGETS="engine/history ..."`.

Each target mutates one module, or only the `evaluate` and `remediate` functions of a control, and runs the
tests that cover it. The mutants are made in a scratch copy of the working tree (`.mutation/tree`), which the
tests import through PYTHONPATH: the working tree itself is never changed, so tests may run there meanwhile.
Results: `.mutation/<target>/session.sqlite` (Cosmic Ray's), and a summary with each survivor's diff in
`.mutation/<target>/survivors.md`. docs/testing.md says what was run and what each survivor means.

Run with the mutation venv's Python (the Makefile does): `.venv-mutate/bin/python -m tests.mutate [TARGET ...]`.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

from cosmic_ray.mutating import mutate_and_test
from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult

ROOT = Path(__file__).resolve().parent.parent
# MUTATION_WORK: another scratch directory, so that two runs (of different targets) can go on side by side.
WORK = ROOT / os.environ.get("MUTATION_WORK", ".mutation")  # relative to the working tree: the tests run in TREE
TREE = WORK / "tree"
PACKAGE = "layers/logbaseline/logbaseline"
PYTEST = f"{ROOT}/.venv/bin/pytest -x -q -p no:cacheprovider"

# Operators left out, and why: binary operators other than +/- and |/& (shifts, powers, modulo, division,
# xor: this code has almost none, and each replacement of one of them is a TypeError that any test kills,
# at the cost of a test run); comparisons other than their negation and their boundary; Cosmic Ray's
# variable replacer and inserter (thousands of mutants of names, most of them NameErrors).
EXCLUDED_OPERATORS = [
    r"core/ReplaceBinaryOperator_(?!(Add_Sub|Sub_Add|BitOr_BitAnd|BitAnd_BitOr)$)",
    r"core/ReplaceComparisonOperator_(?!(Eq_NotEq|NotEq_Eq|Is_IsNot|IsNot_Is|Lt_LtE|LtE_Lt|Gt_GtE|GtE_Gt"
    r"|Lt_GtE|GtE_Lt|Gt_LtE|LtE_Gt)$)",
    r"core/Variable(Replacer|Inserter)",
]

ENGINE_TESTS = {
    "accounts": ["tests/test_organization.py",
                 "tests/test_sessions.py::test_each_fix_assumes_the_member_role_with_its_own_session"],
    "approvals": ["tests/test_approval.py"],
    "evaluation": ["tests/test_exemptions.py", "tests/test_shared_reads.py", "tests/test_faults.py",
                   "tests/test_service.py", "tests/test_read_failures.py",
                   "tests/test_tagging_events.py::test_who_tagged_is_recorded_and_the_exemption_counts_from_the_"
                   "tagging_call_then_ends_when_removed"],
    "exemptions": ["tests/test_exemptions.py", "tests/test_register.py"],
    "findings": ["tests/test_findings.py", "tests/test_workflow.py", "tests/test_sweep_archive.py",
                 "tests/test_publication.py",
                 "tests/test_suppression.py::test_a_finding_suppressed_without_an_exemption_raises_the_metric_the_"
                 "alarm_watches"],
    "history": ["tests/test_history.py"],
    "locks": ["tests/test_locks.py", "tests/test_publication.py", "-k", "lock or one_fix"],
    "messages": ["tests/test_messages.py", "tests/test_routing.py", "tests/test_sweep_archive.py"],
    "register": ["tests/test_register.py", "tests/test_exemptions.py"],
    "routing": ["tests/test_routing.py"],
    "runtime": ["tests/test_runtime.py", "tests/test_publication.py", "-k", "runtime or one_fix"],
    "sessions": ["tests/test_session_parts.py", "tests/test_sessions.py"],
    "settings": ["tests/test_settings.py"],
    "workflow": ["tests/test_workflow.py", "tests/test_findings.py", "tests/test_publication.py",
                 "tests/test_suppression.py::test_a_finding_suppressed_without_an_exemption_raises_the_metric_the_"
                 "alarm_watches", "-k", "not outlasts"],
    "tag_records": ["tests/test_register.py", "tests/test_exemption_list.py", "tests/test_tagging_events.py"],
    "tagging": ["tests/test_tagging_events.py", "tests/test_routing.py"],
    # The tests that killed its mutants, fastest first (whole files, or the one test of a slow file that did); the
    # pipeline's two longest tests (82 s and 64 s here) are left out: docs/testing.md says what that costs.
    "__init__": ["tests/test_service.py", "tests/test_sweep_archive.py",
                 "tests/test_tagging_events.py::test_who_tagged_is_recorded_and_the_exemption_counts_from_the_tagging_"
                 "call_then_ends_when_removed",
                 "tests/test_history.py::test_every_fix_and_dry_run_is_recorded_with_before_after_trigger_and_actor",
                 "tests/test_approval.py::test_a_person_approves_fixes_from_security_hub",
                 "tests/test_approval.py::test_a_message_that_only_says_approved_fixes_nothing_a_dry_run_holds_back",
                 "tests/test_sessions.py::test_each_fix_assumes_the_member_role_with_its_own_session",
                 "tests/test_read_failures.py",
                 "tests/test_cli.py::test_scan_reports_each_control_and_region_as_it_is_judged",
                 "tests/test_organization.py::test_an_unreachable_member_is_reported_and_the_first_sweep_that_reaches_it_"
                 "archives_the_report",
                 "tests/test_organization.py::test_a_fix_in_a_member_that_cannot_be_reached_is_reported_in_the_security_"
                 "account_and_then_fails",
                 "tests/test_organization.py::test_a_member_unreachable_in_another_region_is_reported_in_that_region",
                 "tests/test_suppression.py::test_a_member_that_suppresses_its_trail_finding_and_stops_the_trail_gets_"
                 "it_restarted",
                 "tests/test_faults.py", "tests/test_publication.py", "tests/test_pipeline.py", "-k",
                 "not sample_events_close_every_fixable_gap and not every_call_each_function_makes"],
}  # fmt: skip

# Engine modules run in parts: the decisions that need no AWS call against their fast unit tests, the rest against
# the emulator's (a mutant that survives the emulator's tests costs minutes; remediation has 150 mutants).
ENGINE_PARTS = {
    "remediation": {
        "requests": (
            (
                "FixRequest",
                "to_message",
                "from_message",
                "fix_requests",
                "approved_fix_requests",
                "_account_of",
                "_sets_suppressed",
                "_describe",
                "_now",
            ),
            ["tests/test_remediation.py", "tests/test_routing.py"],
        ),
        "fixes": (
            ("apply_fix", "_suppression", "wait", "_exemption", None),
            [
                "tests/test_remediation.py",
                "tests/test_approval.py",
                "tests/test_history.py",
                "tests/test_suppression.py",
                "tests/test_exemptions.py",
            ],
        ),
    },
}

# Shared modules that hold controls' collect/evaluate/remediate logic (the controls' own functions delegate to them):
# each whole (no function list), against the tests of the controls that use it, fastest and nearest first.
C = "tests/controls/test_"
SHARED = {
    "_log_buckets": (
        (),
        [f"{C}log_buckets.py", "tests/test_read_failures.py", f"{C}trail_bucket_of_another_account.py",
         f"{C}cloudtrail_bucket_access_logging_enabled.py", f"{C}logs_centralized.py",
         f"{C}cloudtrail_bucket_object_lock.py", f"{C}s3_bucket_server_access_logging_enabled.py",
         f"{C}s3_log_bucket_not_public.py", f"{C}s3_log_bucket_lifecycle_bounded.py",
         f"{C}cloudtrail_bucket_not_public.py", f"{C}globalaccelerator_flow_logs_enabled.py"],
    ),
    "_cis_monitoring": ((), [f"{C}cloudtrail_security_alarms.py"]),
    "_policies": (
        (),
        [f"{C}logs_resource_policy_restricted.py", f"{C}securitylake_sources_enabled.py",
         f"{C}trail_bucket_of_another_account.py", f"{C}s3_log_bucket_not_public.py"],
    ),
    "_digests": ((), [f"{C}cloudtrail_log_integrity_verified.py"]),
    "_trails": (
        (),
        [f"{C}cloudtrail_s3_data_events_recorded.py", f"{C}cloudtrail_security_trail_enabled.py",
         f"{C}cloudtrail_no_duplicate_management_events.py", f"{C}cloudtrail_multi_region_logging.py",
         f"{C}cloudtrail_log_file_validation_enabled.py", f"{C}cloudtrail_kms_encryption_enabled.py",
         f"{C}cloudtrail_cloudwatch_logs_enabled.py", f"{C}trail_bucket_of_another_account.py",
         f"{C}cloudtrail_security_alarms.py", "tests/test_read_failures.py"],
    ),
    "_api_stages": ((), [f"{C}apigateway_access_logging_enabled.py", f"{C}apigateway_execution_logging_enabled.py"]),
    "_destinations": (
        (),
        [f"{C}logs_centralized.py", f"{C}vpc_flow_logs_enabled.py", f"{C}vpc_dns_query_logging_enabled.py",
         f"{C}log_buckets.py"],
    ),
    "_vpcs": ((), [f"{C}vpc_flow_logs_enabled.py", f"{C}vpc_dns_query_logging_enabled.py"]),
    "_benchmarks": ((), ["tests/test_parity.py", "tests/test_catalogue.py"]),
}  # fmt: skip


def gates(control: Path) -> list[str]:
    """The function a control names as its `inapplicable=` gate: it decides, like `evaluate`, what is judged."""
    keywords = (node for node in ast.walk(ast.parse(control.read_text())) if isinstance(node, ast.keyword))
    return [k.value.id for k in keywords if k.arg == "inapplicable" and isinstance(k.value, ast.Name)]


def targets() -> dict[str, tuple[str, list[str], tuple[str | None, ...]]]:
    """target -> (module, test arguments, the only functions mutated, None for module level; empty: the whole
    module)."""
    found: dict[str, tuple[str, list[str], tuple[str | None, ...]]] = {
        f"engine/{name}": (f"{PACKAGE}/engine/{name}.py", tests, ()) for name, tests in ENGINE_TESTS.items()
    }
    for name, parts in ENGINE_PARTS.items():
        for part, (functions, tests) in parts.items():
            found[f"engine/{name}:{part}"] = (f"{PACKAGE}/engine/{name}.py", tests, functions)
    for path in sorted((ROOT / PACKAGE / "controls").glob("*.py")):
        if path.stem.startswith("_") or path.stem == "base":
            continue
        tests = [f"tests/controls/test_{path.stem}.py", "tests/test_never_destructive.py", "-k", path.stem]
        functions = ("evaluate", "remediate", *gates(path))
        found[f"controls/{path.stem}"] = (f"{PACKAGE}/controls/{path.name}", tests, functions)
    for name, (functions, tests) in SHARED.items():
        found[f"controls/{name}"] = (f"{PACKAGE}/controls/{name}.py", tests, functions)
    return found


def copy_tree() -> None:
    """The working tree's files (tracked and new, as they are now) in a scratch copy."""
    shutil.rmtree(TREE, ignore_errors=True)
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (TREE / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, TREE / name)


def annotations(module: Path) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Where the module's annotations are: never evaluated (`from __future__ import annotations`), so a
    mutant there (`str | None` to `str & None`) is equivalent by construction."""
    spans = []
    for node in ast.walk(ast.parse(module.read_text())):
        found = [getattr(node, "returns", None), node.annotation if isinstance(node, ast.AnnAssign | ast.arg) else None]
        spans += [((a.lineno, a.col_offset), (a.end_lineno, a.end_col_offset)) for a in found if a is not None]
    return spans


def tried_before(path: str | None) -> set[tuple[str, int]]:
    """The mutants a file names as tried by an earlier run, one `OPERATOR OCCURRENCE` a line (`#` comments): Cosmic
    Ray's job ids are new at each init, an operator and its occurrence name the same mutant while the module is
    unchanged."""
    if not path:
        return set()
    lines = (line.split("#", 1)[0].split() for line in Path(path).read_text().splitlines())
    return {(words[0], int(words[1])) for words in lines if words}


def skip(
    db: WorkDB, module: Path, functions: tuple[str | None, ...], tried: set[tuple[str, int]] = frozenset()
) -> None:
    """Mark as skipped the mutants in annotations, those outside `functions` when it is not empty, and those
    `tried` by an earlier run."""
    spans = annotations(module)
    for item in db.pending_work_items:
        why = ""
        if any(start <= tuple(m.start_pos) < end for m in item.mutations for start, end in spans):
            why = "in an annotation"
        elif any((m.operator_name, m.occurrence) in tried for m in item.mutations):
            why = "tried by an earlier run"
        elif functions and any(m.definition_name not in functions for m in item.mutations):
            why = "not in " + "/".join(f or "the module level" for f in functions)
        if why:
            db.set_result(item.job_id, WorkResult(output=why, worker_outcome="skipped"))


def baseline_timeout(name: str, command: str) -> float:
    """The tests pass without a mutant; a mutant's run may take four times as long (at least a minute)."""
    started = time.monotonic()
    baseline = subprocess.run(shlex.split(command), cwd=TREE, capture_output=True, text=True)
    if baseline.returncode != 0:
        raise SystemExit(f"{name}: the tests fail without a mutant:\n{baseline.stdout[-2000:]}")
    return max(60.0, 4 * (time.monotonic() - started))


def init_session(
    work: Path,
    module: str,
    command: str,
    timeout: float,
    functions: tuple[str | None, ...],
    tried: set[tuple[str, int]] = frozenset(),
) -> Path:
    """Cosmic Ray's session of the target's mutants, less the operators left out and the mutants skipped."""
    config = work / "config.toml"
    operators = ", ".join(json.dumps(e) for e in EXCLUDED_OPERATORS)
    config.write_text(
        f'[cosmic-ray]\nmodule-path = "{module}"\ntimeout = {timeout:.0f}\nexcluded-modules = []\n'
        f'test-command = {json.dumps(command)}\n\n[cosmic-ray.distributor]\nname = "local"\n\n'
        f"[cosmic-ray.filters.operators-filter]\nexclude-operators = [{operators}]\n"
    )
    session = work / "session.sqlite"
    bin_dir = Path(sys.executable).parent
    subprocess.run([bin_dir / "cosmic-ray", "init", config, session], cwd=TREE, check=True)
    subprocess.run([bin_dir / "cr-filter-operators", session, config], cwd=TREE, check=True)
    with use_db(str(session)) as db:
        skip(db, TREE / module, functions, tried)
    return session


def run_target(
    name: str, module: str, tests: list[str], functions: tuple[str | None, ...], tried: set[tuple[str, int]]
) -> dict[str, object]:
    work = WORK / name.replace("/", "-").replace(":", "-")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    command = f"{PYTEST} {shlex.join(tests)}"
    started = time.monotonic()
    timeout = baseline_timeout(name, command)
    session = init_session(work, module, command, timeout, functions, tried)
    config = work / "config.toml"
    subprocess.run([Path(sys.executable).parent / "cosmic-ray", "exec", config, session], cwd=TREE, check=True)
    return summarize(name, session, work, time.monotonic() - started)


def compare(
    name: str, module: str, tests: list[str], functions: tuple[str | None, ...], wider: list[str], sample: int
) -> None:
    """Whether a target's tests kill what wider tests kill. `sample` > 0: that many of its mutants, drawn with a
    fixed seed, each run against both test commands. `sample` 0: the survivors of the target's last run, against
    the wider tests (when the target's tests are among the wider ones, only a survivor can tell them apart)."""
    work = WORK / ("compare-" + name.replace("/", "-").replace(":", "-"))
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    commands = {"target": f"{PYTEST} {shlex.join(tests)}", "wider": f"{PYTEST} {shlex.join(wider)}"}
    if sample:
        timeouts = {which: baseline_timeout(name, command) for which, command in commands.items()}
        session = init_session(work, module, commands["target"], timeouts["target"], functions)
        with use_db(str(session), WorkDB.Mode.open) as db:
            items = list(db.pending_work_items)
        chosen = [(item, None) for item in random.Random(20).sample(items, min(sample, len(items)))]
    else:
        timeouts = {"wider": baseline_timeout(name, commands["wider"])}
        last = WORK / name.replace("/", "-").replace(":", "-") / "session.sqlite"
        with use_db(str(last), WorkDB.Mode.open) as db:
            chosen = [
                (item, TestOutcome.SURVIVED.value)
                for item, result in db.completed_work_items
                if result.worker_outcome == WorkerOutcome.NORMAL and result.test_outcome == TestOutcome.SURVIVED
            ]
    os.chdir(TREE)  # the session names the module by its path in the tree, and the tests run there
    rows = []
    for item, known_outcome in chosen:
        mutation = item.mutations[0]
        row: dict[str, object] = {"job": item.job_id, "operator": mutation.operator_name, "line": mutation.start_pos[0]}
        if known_outcome:
            row["target"] = known_outcome
        for which, command in commands.items():
            if which in row:
                continue
            started = time.monotonic()
            result = mutate_and_test(item.mutations, command, timeouts[which])
            row[which] = result.test_outcome.value if result.test_outcome else result.worker_outcome.value
            row[f"{which}_seconds"] = round(time.monotonic() - started)
        rows.append(row)
        print(json.dumps(row), flush=True)
    agree = sum(r["target"] == r["wider"] for r in rows)
    print(json.dumps({"target": name, "compared": len(rows), "agree": agree}), flush=True)
    with (work / "comparison.jsonl").open("w") as out:
        out.writelines(json.dumps(r) + "\n" for r in rows)


def summarize(name: str, session: Path, work: Path, seconds: float) -> dict[str, object]:
    killed, survivors, not_run = 0, [], 0
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item, result in db.completed_work_items:
            if result.worker_outcome == WorkerOutcome.SKIPPED:
                continue
            if result.worker_outcome != WorkerOutcome.NORMAL or result.test_outcome == TestOutcome.INCOMPETENT:
                not_run += 1  # the mutant could not be made or its tests could not start: neither killed nor not
            elif result.test_outcome == TestOutcome.SURVIVED:
                survivors.append((item, result))
            else:
                killed += 1  # a test failed, or the tests timed out
    tried = killed + len(survivors)
    lines = [f"# {name}: {killed} of {tried} mutants killed, {len(survivors)} survived", ""]
    for item, result in survivors:
        mutation = item.mutations[0]
        lines += [
            f"## {item.job_id}: {mutation.operator_name} in {mutation.definition_name}, line {mutation.start_pos[0]}",
            "",
            "```diff",
            (result.diff or "").strip(),
            "```",
            "",
        ]
    (work / "survivors.md").write_text("\n".join(lines))
    summary = {
        "target": name,
        "killed": killed,
        "survived": len(survivors),
        "not_run": not_run,
        "score": round(100 * killed / tried, 1) if tried else None,
        "seconds": round(seconds),
    }
    print(json.dumps(summary), flush=True)
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.mutate", description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", help="targets (engine/NAME, controls/ID); default: all")
    parser.add_argument(
        "--compare",
        metavar="TESTS",
        help="run a sample of each target's mutants against its own "
        "tests and against these (pytest arguments, one string) instead",
    )
    parser.add_argument(
        "--sample", type=int, default=10, help="mutants --compare runs (default 10; 0: the last run's survivors)"
    )
    parser.add_argument(
        "--only",
        metavar="FUNCTIONS",
        help="mutate only these functions (comma-separated), e.g. those added since a target's last run",
    )
    parser.add_argument(
        "--skip",
        metavar="FILE",
        help="leave out the mutants an earlier run tried, one `OPERATOR OCCURRENCE` a line (one target only)",
    )
    parser.add_argument(
        "--summarize",
        action="store_true",
        help="summarize each target's last session again (e.g. of a run stopped for time) instead of running",
    )
    known = targets()
    args = parser.parse_args(argv)
    chosen = args.targets or list(known)
    if args.only:
        only = tuple(args.only.split(","))
        known = {name: (module, tests, only) for name, (module, tests, _) in known.items()}
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        raise SystemExit(f"unknown targets {unknown}; known: {', '.join(known)}")
    if args.summarize:
        for name in chosen:
            work = WORK / name.replace("/", "-").replace(":", "-")
            summarize(name, work / "session.sqlite", work, 0)
        return
    if args.skip and len(chosen) != 1:
        raise SystemExit("--skip names the mutants of one target")
    copy_tree()
    os.environ["PYTHONPATH"] = str(TREE / "layers" / "logbaseline")  # the copy's package, not the editable one
    if args.compare:
        for name in chosen:
            compare(name, *known[name], shlex.split(args.compare), args.sample)
        return
    results = [run_target(name, *known[name], tried_before(args.skip)) for name in chosen]
    with (WORK / "results.jsonl").open("a") as out:
        for result in results:
            out.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
