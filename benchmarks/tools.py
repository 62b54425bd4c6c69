"""The three tools as command-line runs against the same emulator, and each one's verdicts per resource.

Each run is a fresh process, so every wall time includes the tool's own start-up, as a person or a
scheduler would pay it. The peers live in their own venvs (their boto3 pins clash with ours).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENVS = HERE / ".venvs"
LOGBASELINE = ROOT / ".venv" / "bin" / "logbaseline"
POLICIES = HERE / "policies.yml"

# The checks the three tools share: log-group retention at the floor, and VPC flow logs.
LOGBASELINE_CONTROLS = ("logs_log_group_retention_bounded", "vpc_flow_logs_enabled")
PROWLER_CHECKS = ("cloudwatch_log_group_retention_policy_specific_days_enabled", "vpc_flow_logs_enabled")
CUSTODIAN_POLICIES = {"log-group-retention-below-floor": "log_group", "vpc-without-active-flow-log": "vpc"}
# Each venv and its pinned requirements; "chart" holds matplotlib for the PNG.
PEER_VENVS = {
    "custodian": "requirements-custodian.txt",
    "prowler": "requirements-prowler.txt",
    "chart": "requirements.txt",
}

PASS, FAIL = "PASS", "FAIL"


@dataclass
class Run:
    tool: str
    seconds: float
    verdicts: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> resource -> PASS or FAIL


def ensure_venv(name: str) -> Path:
    """The tool's own venv under benchmarks/.venvs, created and installed from its pinned requirements if missing."""
    venv = VENVS / name
    marker = venv / ".installed"
    requirements = HERE / PEER_VENVS[name]
    if marker.exists() and marker.read_text() == requirements.read_text():
        return venv
    print(f"setting up {venv.relative_to(ROOT)} from {requirements.name} (once; a few minutes)", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "-r", str(requirements)], check=True)
    marker.write_text(requirements.read_text())
    return venv


def tool_version(venv: Path, package: str) -> str:
    code = f"import importlib.metadata as m; print(m.version({package!r}))"
    return subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True).stdout.strip()


def _fresh(directory: Path) -> Path:
    """An empty output directory: Prowler appends to the findings file of an earlier run."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    return directory


def _timed(command: list[str], env: Mapping[str, str], ok_codes: tuple[int, ...] = (0,)) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, env=dict(env), capture_output=True, text=True, cwd=tempfile.gettempdir())
    seconds = time.perf_counter() - start
    if done.returncode not in ok_codes:
        raise RuntimeError(f"{command[0]} exited {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return seconds


def run_logbaseline(env: Mapping[str, str], work: Path, controls: tuple[str, ...] = LOGBASELINE_CONTROLS) -> Run:
    """`logbaseline scan`, read-only; the verdicts of the shared checks (PASSED or FAILED)."""
    out = work / "logbaseline.json"
    command = [str(LOGBASELINE), "scan", "--format", "json", "--regions", "us-east-1", "--output", str(out)]
    if controls:
        command += ["--controls", ",".join(controls)]
    seconds = _timed(command, env)
    verdicts: dict[str, dict[str, str]] = {"log_group": {}, "vpc": {}}
    for row in json.loads(out.read_text()):
        status = {"PASSED": PASS, "FAILED": FAIL}.get(row["status"])
        if status and row["control_id"] == "logs_log_group_retention_bounded":
            verdicts["log_group"][row["resource_id"].split(":log-group:", 1)[1]] = status
        elif status and row["control_id"] == "vpc_flow_logs_enabled":
            verdicts["vpc"][row["resource_id"].rsplit("/", 1)[1]] = status
    return Run("logbaseline" if controls else "logbaseline (all controls)", seconds, verdicts)


def run_custodian(env: Mapping[str, str], work: Path, inventory: Mapping[str, Mapping[str, object]]) -> Run:
    """`custodian run --dryrun`: a matched resource FAILS; every other resource of the inventory PASSES."""
    out = _fresh(work / "custodian")
    custodian = VENVS / "custodian" / "bin" / "custodian"
    # --cache-period 0: every run reads the account afresh, as the first run of a schedule would.
    command = [str(custodian), "run", "--dryrun", "-r", "us-east-1", "-s", str(out), "--cache-period", "0"]
    seconds = _timed([*command, str(POLICIES)], env)
    verdicts = {kind: dict.fromkeys(inventory[kind], PASS) for kind in ("log_group", "vpc")}
    for policy, kind in CUSTODIAN_POLICIES.items():
        for resource in json.loads((out / policy / "resources.json").read_text()):
            verdicts[kind][resource["logGroupName"] if kind == "log_group" else resource["VpcId"]] = FAIL
    return Run("Cloud Custodian", seconds, verdicts)


def run_prowler(env: Mapping[str, str], work: Path) -> Run:
    """`prowler aws` with the two matching checks; its JSON-OCSF findings give each resource's status."""
    out = _fresh(work / "prowler")
    prowler = VENVS / "prowler" / "bin" / "prowler"
    command = [
        str(prowler),
        "aws",
        "--region",
        "us-east-1",
        "--scan-unused-services",  # emulated VPCs have no network interfaces: unused to Prowler otherwise
        "--checks",
        *PROWLER_CHECKS,
        "--output-formats",
        "json-ocsf",
        "--output-directory",
        str(out),
        "--output-filename",
        "prowler",
        "--no-banner",
    ]
    seconds = _timed(command, env, ok_codes=(0, 3))  # 3: some checks failed
    verdicts: dict[str, dict[str, str]] = {"log_group": {}, "vpc": {}}
    for finding in json.loads((out / "prowler.ocsf.json").read_text()):
        check = finding["metadata"]["event_code"]
        status = {"PASS": PASS, "FAIL": FAIL}.get(finding["status_code"])
        uid = finding["resources"][0]["uid"]
        if status and check == PROWLER_CHECKS[0]:
            verdicts["log_group"][uid.split(":log-group:", 1)[1].removesuffix(":*")] = status
        elif status and check == PROWLER_CHECKS[1]:
            verdicts["vpc"][uid.rsplit("/", 1)[-1]] = status
    return Run("Prowler", seconds, verdicts)


def export_layer(commit: str, directory: Path) -> Path:
    """The logbaseline package of another commit (`git archive`), for a PYTHONPATH: its directory."""
    directory.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "archive", commit, "layers/logbaseline/logbaseline"], cwd=ROOT, capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(directory)], input=archive.stdout, check=True)
    return directory / "layers" / "logbaseline"


def emulator_env(endpoint: str) -> dict[str, str]:
    """Dummy credentials and the emulator's endpoint for every tool; nothing from the caller's AWS set-up.
    Bytecode may be cached for every tool alike: pip compiles the peers' packages when it installs them, and the
    layer's, but not the dev venv's editable logbaseline, which would otherwise compile its sources on every run."""
    dropped = ("AWS_", "LOGBASELINE_", "PYTHONDONTWRITEBYTECODE")
    keep = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    return keep | {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
