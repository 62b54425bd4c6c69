"""An exemption is visible in every output of `scan`: the HTML report counts exempt results apart from FAILED and
never offers their fix; CSV and OCSF carry its source, reason and until."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta

from click.testing import CliRunner
from logbaseline.cli import main

RETENTION = "logs_log_group_retention_bounded"


def _scan(*args: str) -> str:
    result = CliRunner().invoke(main, ["scan", "--regions", "us-east-1", "--controls", RETENTION, *args])
    assert result.exit_code == 0, result.output
    return result.output


def _groups(aws, account_id, tmp_path, monkeypatch) -> str:
    """Three failing groups: one exempt by a register entry, one by an allowed tag, one not exempt."""
    until = (date.today() + timedelta(days=60)).isoformat()
    tag_until = (date.today() + timedelta(days=20)).isoformat()
    for group in ("/legacy/app", "/team/app", "/other/app"):
        aws("logs").create_log_group(logGroupName=group)
    aws("logs").tag_log_group(
        logGroupName="/team/app", tags={"logbaseline:exempt": f"{RETENTION} until={tag_until} reason=trial CHG-2"}
    )
    source = tmp_path / "exemptions.yaml"
    source.write_text(f"""\
exemptions:
  - id: legal-hold-archive
    accounts: ["{account_id}"]
    regions: [us-east-1]
    controls: [{RETENTION}]
    resources: ["arn:aws:logs:us-east-1:{account_id}:log-group:/legacy/*"]
    reason: archive kept by legal hold LH-42
    approver: security-lead@example.com
    expires: {until}
tag_exemptions:
  accounts: ["{account_id}"]
  controls: [{RETENTION}]
""")
    monkeypatch.setenv("LOGBASELINE_EXEMPTIONS_FILE", str(source))
    return until


def test_the_html_report_counts_exempt_results_apart_and_never_offers_their_fix(aws, account_id, tmp_path, monkeypatch):
    until = _groups(aws, account_id, tmp_path, monkeypatch)
    path = tmp_path / "report.html"
    _scan("--format", "html", "--output", str(path))
    html = path.read_text()
    assert '<div class="card fail"><div class="n">1</div><div class="l">FAILED</div>' in html
    assert '<div class="card exempt"><div class="n">2</div><div class="l">EXEMPT (failing, exempted)</div>' in html
    assert html.count('<tr class="failing">') == 1 and html.count('<tr class="exempted">') == 2
    failing, exempt = html.split("<h2>Exempt resources (2)</h2>")
    exempt = exempt.split("</section>")[0]
    assert "/other/app" in failing and "/legacy/app" not in failing and "/team/app" not in failing
    assert failing.count("fix available") == 1, "only the result that is not exempt offers its fix"
    assert "fix available" not in exempt
    flat = " ".join(re.sub(r"<[^>]+>", " ", exempt).split())
    assert f"EXEMPT by register entry legal-hold-archive until {until}: archive kept by legal hold LH-42" in flat
    assert "approved by security-lead@example.com" in flat and "EXEMPT by tag until" in flat
    assert "0 passed &middot; 1 failed &middot; 2 exempt" in html


def test_csv_and_ocsf_carry_the_exemptions_source_reason_and_until(aws, account_id, tmp_path, monkeypatch):
    until = _groups(aws, account_id, tmp_path, monkeypatch)
    rows = {r["resource_id"].rsplit(":", 1)[-1]: r for r in csv.DictReader(io.StringIO(_scan("--format", "csv")))}
    legacy, other = rows["/legacy/app"], rows["/other/app"]
    assert (legacy["exemption_source"], legacy["exemption_until"], legacy["exemption_reason"]) == (
        "register", until, "archive kept by legal hold LH-42"
    )  # fmt: skip
    assert legacy["exemption_approver"] == "security-lead@example.com"
    assert rows["/team/app"]["exemption_source"] == "tag" and rows["/team/app"]["exemption_reason"] == "trial CHG-2"
    assert other["exemption"] == other["exemption_source"] == "", "no exemption, empty cells"

    findings = {f["resources"][0]["uid"].rsplit(":", 1)[-1]: f for f in json.loads(_scan("--format", "ocsf"))}
    exemption = findings["/legacy/app"]["unmapped"]["exemption"]
    assert (exemption["source"], exemption["until"], exemption["reason"], exemption["entry"]) == (
        "register", until, "archive kept by legal hold LH-42", "legal-hold-archive"
    )  # fmt: skip
    assert findings["/legacy/app"]["status"] == "Suppressed" and findings["/other/app"]["status"] == "New"
    assert findings["/other/app"]["unmapped"]["exemption"] == {} and "status_detail" not in findings["/other/app"]
