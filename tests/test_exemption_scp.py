"""The exemption tag's service control policy (stacksets/policies/scp-exempt-tag.json; tests/test_guardrails.py checks
its grammar, size and whom it denies): each action is a real operation of its service, and every tagging call the
service follows (engine/tagging.py) is denied to all but the security team."""

from __future__ import annotations

import botocore.session
import pytest
from logbaseline.engine.tagging import TAG_KEY, TAGGING_CALLS

from tests.conftest import ROOT
from tests.iam_policy import Request, decide
from tests.test_guardrails import ADMIN_ALLOWED, VALUES, render

SCP = render(ROOT / "stacksets/policies/scp-exempt-tag.json")
[STATEMENT] = SCP["Statement"]
# IAM's service prefix -> botocore's service name, where they differ
SERVICE_MODELS = {"tag": "resourcegroupstaggingapi", "elasticloadbalancing": "elbv2"}
TEAM = VALUES["SecurityTeamRoleArn"]
DEVELOPER = "arn:aws:iam::111122223333:role/developer"


def test_each_action_is_an_operation_of_its_service():
    session = botocore.session.get_session()
    for action in STATEMENT["Action"]:
        prefix, operation = action.split(":")
        model = session.get_service_model(SERVICE_MODELS.get(prefix, prefix))
        assert operation in model.operation_names, action


def test_every_tagging_call_the_service_follows_is_in_the_policy():
    followed = {f"{c.event_source.split('.')[0]}:{c.event_name}" for c in TAGGING_CALLS}
    assert followed <= set(STATEMENT["Action"])


@pytest.mark.parametrize("action", sorted({f"{c.event_source.split('.')[0]}:{c.event_name}" for c in TAGGING_CALLS}))
def test_only_the_security_team_may_set_or_remove_the_exemption_tag_and_other_tags_are_untouched(action):
    def denied(principal: str, keys: list[str]) -> bool:
        request = Request(action, "*", {"aws:TagKeys": keys, "aws:PrincipalArn": principal})
        return decide(request, [*ADMIN_ALLOWED, SCP]) == "explicit deny"

    assert denied(DEVELOPER, [TAG_KEY]) and denied(DEVELOPER, ["team", TAG_KEY])
    assert not denied(TEAM, [TAG_KEY]), "the security team's role"
    assert not denied(DEVELOPER, ["team", "cost-centre"]), "any other tag is left alone"
