"""Finding workflow kept in step through BatchUpdateFindings (a double: the emulator lacks the API)."""

from __future__ import annotations

from logbaseline.controls import load
from logbaseline.engine.evaluation import Outcome
from logbaseline.engine.exemptions import Ruling
from logbaseline.engine.findings import publish, to_asff
from logbaseline.models import Resource, failed, passed

from tests.doubles import ClientsDouble

RETENTION = load("logs_log_group_retention_bounded")
ACCOUNT, REGION = "111122223333", "eu-west-1"
ARN = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/app"


def finding(verdict, resource_id=ARN, fix=None, exemption=None) -> dict:
    resource = Resource(ACCOUNT, REGION, resource_id, {})
    return to_asff(Outcome(RETENTION, ACCOUNT, REGION, resource_id, verdict, resource, fix, exemption))


def run(clients: ClientsDouble, *findings: dict) -> dict:
    publish(list(findings), clients, workflow=True)
    return clients.hubs[(ACCOUNT, REGION)].stored


def status(clients: ClientsDouble, finding_id: str) -> str:
    return clients.hubs[(ACCOUNT, REGION)].stored[finding_id]["Workflow"]["Status"]


def test_passed_is_resolved_and_a_regression_goes_back_to_new_even_after_a_person_resolved_it():
    clients = ClientsDouble()
    first = finding(failed("never expires", fixable=True))
    run(clients, first)
    assert status(clients, first["Id"]) == "NEW"
    run(clients, finding(passed("365 days")))
    assert status(clients, first["Id"]) == "RESOLVED"
    run(clients, finding(failed("never expires", fixable=True)))
    assert status(clients, first["Id"]) == "NEW", "regressed"
    hub = clients.hubs[(ACCOUNT, REGION)]
    hub.stored[first["Id"]]["Workflow"] = {"Status": "RESOLVED"}  # a person resolved it, but it still fails
    run(clients, finding(failed("never expires", fixable=True)))
    assert status(clients, first["Id"]) == "NEW"


def test_a_person_suppressed_finding_stays_suppressed_but_an_exemption_that_ends_lifts_ours():
    clients = ClientsDouble()
    first = finding(failed("never expires"))
    run(clients, first)
    clients.hubs[(ACCOUNT, REGION)].stored[first["Id"]]["Workflow"] = {"Status": "SUPPRESSED"}  # a person
    run(clients, finding(failed("never expires")))
    assert status(clients, first["Id"]) == "SUPPRESSED"

    other = f"{ARN}-2"
    run(clients, finding(failed("x"), other))
    run(clients, finding(failed("x"), other, exemption=Ruling(True, "exempt until 2027-01-01: legacy")))
    other_id = finding(failed("x"), other)["Id"]
    assert status(clients, other_id) == "SUPPRESSED"
    run(clients, finding(failed("x"), other, exemption=Ruling(False, "tag ignored: expired on 2027-01-01 (legacy)")))
    assert status(clients, other_id) == "NEW", "the exemption that suppressed it ended"


def test_a_fix_is_noted_on_the_finding():
    clients = ClientsDouble()
    run(clients, finding(failed("never expires", fixable=True)))
    fix = {
        "Mode": "auto",
        "Outcome": "verified",
        "At": "2026-11-29T02:00:00+00:00",
        "Changes": "logs:put_retention_policy(...)",
    }
    stored = run(clients, finding(passed("365 days"), fix=fix))
    [only] = stored.values()
    assert only["Workflow"]["Status"] == "RESOLVED"
    assert only["Note"] == {
        "Text": "logbaseline auto fix verified at 2026-11-29T02:00:00+00:00: logs:put_retention_policy(...)",
        "UpdatedBy": "logbaseline",
    }


def test_lookups_and_updates_are_batched_as_aws_allows():
    clients = ClientsDouble()
    many = [finding(failed("x"), f"{ARN}-{i}") for i in range(250)]
    run(clients, *many)
    hub = clients.hubs[(ACCOUNT, REGION)]
    assert hub.updates == [], "new findings need no update"
    assert max(len(lookup) for lookup in hub.lookups) == 20
    run(clients, *[finding(passed("ok"), f"{ARN}-{i}") for i in range(250)])
    assert [len(u["FindingIdentifiers"]) for u in hub.updates] == [100, 100, 50]
    assert all(u["Workflow"] == {"Status": "RESOLVED"} for u in hub.updates)
