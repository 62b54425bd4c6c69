"""Finding workflow kept in step within Security Hub's quotas (the double answers as AWS documents)."""

from __future__ import annotations

import pytest
from logbaseline.controls import load
from logbaseline.engine import findings as findings_module
from logbaseline.engine.evaluation import Outcome
from logbaseline.engine.exemptions import Ruling
from logbaseline.engine.findings import publish, to_asff
from logbaseline.engine.workflow import SUPPRESSED_FOR
from logbaseline.models import Resource, failed, passed
from logbaseline.quotas import Pacer

from tests.doubles import ClientsDouble

RETENTION = load("logs_log_group_retention_bounded")
ACCOUNT, REGION = "111122223333", "eu-west-1"
ARN = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/app"


def finding(verdict, resource_id=ARN, fix=None, exemption=None) -> dict:
    resource = Resource(ACCOUNT, REGION, resource_id, {})
    return to_asff(Outcome(RETENTION, ACCOUNT, REGION, resource_id, verdict, resource, fix, exemption))


class Clock:
    """Time for the pacer: its waits pass at once, and each publication comes ten seconds after the last."""

    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(findings_module, "PACER", Pacer(clock=lambda: clock.now, sleep=clock.sleep))
    return clock


def run(clients: ClientsDouble, *findings: dict) -> dict:
    publish(list(findings), clients, workflow=True)
    findings_module.PACER.sleep(10)
    return clients.hubs[(ACCOUNT, REGION)].stored


def hub(clients: ClientsDouble):
    return clients.hubs[(ACCOUNT, REGION)]


def status(clients: ClientsDouble, finding_id: str) -> str:
    return hub(clients).stored[finding_id]["Workflow"]["Status"]


def person(clients: ClientsDouble, finding_id: str, **change) -> None:
    """A person's BatchUpdateFindings in the console."""
    product = hub(clients).stored[finding_id]["ProductArn"]
    hub(clients).store.batch_update_findings(
        {"FindingIdentifiers": [{"Id": finding_id, "ProductArn": product}]} | change
    )


def test_a_new_finding_is_imported_with_its_workflow_and_needs_no_update():
    clients = ClientsDouble()
    failing, passing = finding(failed("never expires")), finding(passed("365 days"), f"{ARN}-2")
    run(clients, failing, passing)
    assert (status(clients, failing["Id"]), status(clients, passing["Id"])) == ("NEW", "RESOLVED")
    assert hub(clients).updates == []


def test_passed_is_resolved_a_regression_is_reopened_by_security_hub_and_a_person_resolving_a_failure_is_undone():
    clients = ClientsDouble()
    first = finding(failed("never expires", fixable=True))
    run(clients, first)
    run(clients, finding(passed("365 days")))
    assert status(clients, first["Id"]) == "RESOLVED"
    updates_before = len(hub(clients).updates)
    run(clients, finding(failed("never expires", fixable=True)))
    assert status(clients, first["Id"]) == "NEW", "Security Hub reopens a finding whose compliance turns FAILED"
    assert len(hub(clients).updates) == updates_before, "so logbaseline sends nothing for it"
    person(clients, first["Id"], Workflow={"Status": "RESOLVED"})  # resolved, but it still fails
    run(clients, finding(failed("never expires", fixable=True)))
    assert status(clients, first["Id"]) == "NEW"


def test_a_person_suppressed_finding_stays_suppressed_but_an_exemption_that_ends_lifts_ours():
    clients = ClientsDouble()
    first = finding(failed("never expires"))
    run(clients, first)
    person(clients, first["Id"], Workflow={"Status": "SUPPRESSED"})
    run(clients, finding(failed("never expires")))
    run(clients, finding(passed("365 days")))
    assert status(clients, first["Id"]) == "SUPPRESSED", "a person's suppression is theirs to lift"

    other = f"{ARN}-2"
    other_id = finding(failed("x"), other)["Id"]
    run(clients, finding(failed("x"), other))
    run(clients, finding(failed("x"), other, exemption=Ruling(True, "exempt until 2027-01-01: legacy")))
    assert status(clients, other_id) == "SUPPRESSED"
    assert hub(clients).stored[other_id]["UserDefinedFields"][SUPPRESSED_FOR] == "exemption"
    run(clients, finding(failed("x"), other, exemption=Ruling(False, "tag ignored: expired on 2027-01-01 (legacy)")))
    assert status(clients, other_id) == "NEW", "the exemption that suppressed it ended"


def test_a_fix_is_noted_and_a_fix_that_keeps_being_undone_escalates_even_over_a_persons_severity():
    clients = ClientsDouble()
    first = finding(failed("never expires", fixable=True))
    run(clients, first)
    fix = {"Mode": "auto", "Outcome": "verified", "At": "2026-11-29T02:00:00+00:00", "Changes": "put_retention(365)"}
    stored = run(clients, finding(passed("365 days"), fix=fix))
    assert stored[first["Id"]]["Workflow"]["Status"] == "RESOLVED"
    assert (
        stored[first["Id"]]["Note"]["Text"]
        == "logbaseline auto fix verified at 2026-11-29T02:00:00+00:00: put_retention(365)"
    )
    person(clients, first["Id"], Severity={"Label": "LOW"})
    stopped = {"Mode": "auto", "Outcome": "stopped", "At": "2026-11-29T03:00:00+00:00", "Error": "undone 3 times"}
    stored = run(clients, finding(failed("never expires", fixable=True), fix=stopped))
    assert stored[first["Id"]]["Severity"]["Label"] == "CRITICAL"


def test_a_sweep_sized_publication_asks_security_hub_a_fixed_number_of_questions():
    clients = ClientsDouble()
    many = 2_000
    run(clients, *[finding(failed("x"), f"{ARN}-{i}") for i in range(many)])
    assert hub(clients).updates == [], "new findings need no update"
    first_lookups = len(hub(clients).lookups)
    # four filtered queries and the count of findings suppressed without an exemption, each one page
    assert first_lookups == 5, "none of the 2,000 findings needs a change"
    run(clients, *[finding(passed("ok"), f"{ARN}-{i}") for i in range(many)])
    assert all(s["Workflow"]["Status"] == "RESOLVED" for s in hub(clients).stored.values())
    assert [len(u["FindingIdentifiers"]) for u in hub(clients).updates] == [100] * 20
    # The queries page through what needs a change (20 pages of 100 here) instead of looking up each of 2,000
    # findings (100 lookups of 20 ids).
    assert len(hub(clients).lookups) - first_lookups == 5 + 19


def test_a_small_publication_looks_its_findings_up_in_one_call():
    clients = ClientsDouble()
    run(clients, *[finding(failed("x"), f"{ARN}-{i}") for i in range(20)])
    assert len(hub(clients).lookups) == 1


def test_an_update_security_hub_could_not_process_is_tried_again_then_reported(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(findings_module, "UNPROCESSED_RETRY_SECONDS", 0)
    clients = ClientsDouble()
    first = finding(failed("x"))
    run(clients, first)
    double = hub(clients)
    original, refusals = double.store.batch_update_findings, iter([True, True])

    def not_yet_visible(request):
        if next(refusals, False):
            return {"ProcessedFindings": [], "UnprocessedFindings": [
                {"FindingIdentifier": i, "ErrorCode": "FindingNotFound", "ErrorMessage": "not found"}
                for i in request["FindingIdentifiers"]
            ]}  # fmt: skip
        return original(request)

    double.store.batch_update_findings = not_yet_visible
    result = publish([finding(passed("ok"))], clients, workflow=True)
    assert len(double.updates) == 2 and [u["ErrorCode"] for u in result.unprocessed] == ["FindingNotFound"]
    result = publish([finding(passed("still ok"))], clients, workflow=True)
    assert result.unprocessed == [] and status(clients, first["Id"]) == "RESOLVED"


def test_a_reconciliation_alone_with_nothing_to_import_brings_the_workflow_in_step():
    clients = ClientsDouble()
    first = finding(failed("never expires"))
    run(clients, first)
    publish([finding(passed("365 days"))], clients, workflow=False)  # imported by a publication without workflow
    assert status(clients, first["Id"]) == "NEW"
    imports = len(hub(clients).calls)
    publish([], clients, workflow=True, reconcile_in=[(ACCOUNT, REGION)])
    assert status(clients, first["Id"]) == "RESOLVED"
    assert len(hub(clients).calls) == imports, "nothing imported"


def test_a_small_publication_that_finds_get_findings_busy_notes_its_fixes_now_and_escalates_only_a_stopped_one():
    clients = ClientsDouble()
    verified_arn, stopped_arn = f"{ARN}-verified", f"{ARN}-stopped"
    run(clients, finding(failed("never expires", fixable=True), verified_arn), finding(failed("x"), stopped_arn))
    while findings_module.PACER.ready(ACCOUNT, REGION, "securityhub", "GetFindings"):  # a burst took them all
        findings_module.PACER.wait(ACCOUNT, REGION, "securityhub", "GetFindings")
    verified = {"Mode": "auto", "Outcome": "verified", "At": "2026-11-29T02:00:00+00:00", "Changes": "put(365)"}
    stopped = {"Mode": "auto", "Outcome": "stopped", "At": "2026-11-29T02:00:00+00:00", "Error": "undone 3 times"}
    lookups = len(hub(clients).lookups)
    publication = publish(
        [finding(passed("365 days"), verified_arn, fix=verified), finding(failed("x"), stopped_arn, fix=stopped)],
        clients,
        workflow=True,
    )
    assert len(hub(clients).lookups) == lookups and publication.deferred == {(ACCOUNT, REGION)}, "reconciled later"
    stored = hub(clients).stored
    by_resource = {f["Resources"][0]["Id"]: f for f in stored.values()}
    assert by_resource[verified_arn]["Note"]["Text"].startswith("logbaseline auto fix verified")
    assert by_resource[stopped_arn]["Note"]["Text"].startswith("logbaseline auto fix stopped")
    assert by_resource[stopped_arn]["Severity"]["Label"] == "CRITICAL"
    assert by_resource[verified_arn]["Severity"]["Label"] != "CRITICAL"
    assert by_resource[verified_arn]["Workflow"]["Status"] == "NEW", "its workflow waits for the reconciliation"


def test_a_fix_note_is_cut_to_the_512_characters_security_hub_takes():
    clients = ClientsDouble()
    error = "AccessDenied: " + "x" * 1000
    failed_fix = {"Mode": "auto", "Outcome": "failed", "At": "2026-11-29T02:00:00+00:00", "Error": error}
    created = finding(failed("never expires", fixable=True), fix=failed_fix)
    text = run(clients, created)[created["Id"]]["Note"]["Text"]  # set by the import that creates the finding
    assert text.startswith("logbaseline auto fix failed at 2026-11-29T02:00:00+00:00: AccessDenied: xxx")
    assert len(text) == 512
    again = {**failed_fix, "At": "2026-11-29T03:00:00+00:00"}
    text = run(clients, finding(failed("never expires", fixable=True), fix=again))[created["Id"]]["Note"]["Text"]
    assert text.startswith("logbaseline auto fix failed at 2026-11-29T03:00:00") and len(text) == 512, "updated"


def test_a_publication_counts_the_get_findings_calls_it_made():
    clients = ClientsDouble()
    small = publish([finding(failed("x"), f"{ARN}-{i}") for i in range(3)], clients, workflow=True)
    assert small.lookups == len(hub(clients).lookups) == 1
    large = publish([finding(failed("x"), f"{ARN}-{i}") for i in range(30)], clients, workflow=True)
    # the four reconciliation queries and the count of findings suppressed without an exemption; no import counted
    assert large.lookups == len(hub(clients).lookups) - 1 == 5


def test_a_finding_created_by_a_publication_does_not_stop_the_others_updates():
    clients = ClientsDouble()
    existing = finding(failed("never expires"), f"{ARN}-existing")
    run(clients, existing)
    run(clients, finding(failed("x"), f"{ARN}-new"), finding(passed("365 days"), f"{ARN}-existing"))
    assert status(clients, existing["Id"]) == "RESOLVED"


def test_a_sweep_sized_publication_lifts_the_suppression_of_an_exemption_that_ended_to_new_or_resolved():
    clients = ClientsDouble()
    exempt = Ruling(True, "exempt until 2027-01-01: legacy")
    ended = Ruling(False, "tag ignored: expired on 2027-01-01 (legacy)")
    others = [finding(failed("x"), f"{ARN}-{i}") for i in range(30)]
    still_failing, now_passing = f"{ARN}-failing", f"{ARN}-passing"
    run(
        clients,
        *others,
        finding(failed("x"), still_failing, exemption=exempt),
        finding(failed("x"), now_passing, exemption=exempt),
    )
    ids = {arn: finding(failed("x"), arn)["Id"] for arn in (still_failing, now_passing)}
    assert {status(clients, i) for i in ids.values()} == {"SUPPRESSED"}
    run(
        clients,
        *others,
        finding(failed("x"), still_failing, exemption=ended),
        finding(passed("ok"), now_passing, exemption=ended),
    )
    assert (status(clients, ids[still_failing]), status(clients, ids[now_passing])) == ("NEW", "RESOLVED")
    assert hub(clients).stored[ids[still_failing]]["UserDefinedFields"][SUPPRESSED_FOR] == "lifted"


def test_a_sweep_sized_publication_notes_its_fixes_and_escalates_a_stopped_one():
    clients = ClientsDouble()
    others = [finding(failed("x"), f"{ARN}-{i}") for i in range(30)]
    first = finding(failed("never expires", fixable=True))
    run(clients, *others, first)
    stopped = {"Mode": "auto", "Outcome": "stopped", "At": "2026-11-29T03:00:00+00:00", "Error": "undone 3 times"}
    stored = run(clients, *others, finding(failed("never expires", fixable=True), fix=stopped))
    assert (
        stored[first["Id"]]["Note"]["Text"]
        == "logbaseline auto fix stopped at 2026-11-29T03:00:00+00:00: undone 3 times"
    )
    assert stored[first["Id"]]["Severity"]["Label"] == "CRITICAL"


def test_a_publication_of_21_findings_is_not_looked_up_by_id_security_hub_takes_20_values_a_filter():
    clients = ClientsDouble()
    run(clients, *[finding(failed("x"), f"{ARN}-{i}") for i in range(21)])
    assert len(hub(clients).lookups) == 5, "the four reconciliation queries and the suppressed-without-exemption count"
    assert all(len(values) <= 20 for lookup in hub(clients).lookups for values in lookup.values())


def test_an_events_publication_of_one_finding_looks_it_up_in_one_call():
    clients = ClientsDouble()
    first = finding(failed("never expires"))
    run(clients, first)
    run(clients, finding(passed("365 days")))
    assert status(clients, first["Id"]) == "RESOLVED"
    assert len(hub(clients).lookups) == 2, "one lookup by id per publication, not four queries"
