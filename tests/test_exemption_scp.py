"""stacksets/scp-protect-exemption-tag.json: a service control policy that AWS Organizations accepts (its grammar and
size, each action a real operation of its service) and that denies setting or removing the exemption tag to everyone
but the security team's approver role, and nothing else."""

from __future__ import annotations

import json
import re

import botocore.session
import pytest
from logbaseline.engine.tagging import TAG_KEY, TAGGING_CALLS

from tests.conftest import ROOT
from tests.iam_policy import Request, decide

PATH = ROOT / "stacksets/scp-protect-exemption-tag.json"
SCP = json.loads(PATH.read_text())
[STATEMENT] = SCP["Statement"]
MAX_SCP_CHARACTERS = 5120  # AWS Organizations' quota for an SCP, counted without whitespace
# IAM's service prefix -> botocore's service name, where they differ
SERVICE_MODELS = {"tag": "resourcegroupstaggingapi", "elasticloadbalancing": "elbv2"}
APPROVER = "arn:aws:iam::111122223333:role/logbaseline-exemption-approver"
DEVELOPER = "arn:aws:iam::111122223333:role/developer"


def test_the_policy_has_the_grammar_and_size_organizations_accepts():
    assert set(SCP) == {"Version", "Statement"} and SCP["Version"] == "2012-10-17"
    assert set(STATEMENT) == {"Sid", "Effect", "Action", "Resource", "Condition"}, "an SCP names no Principal"
    assert re.fullmatch(r"[A-Za-z0-9]+", STATEMENT["Sid"]) and STATEMENT["Effect"] == "Deny"
    assert STATEMENT["Resource"] == "*"
    assert set(STATEMENT["Condition"]) == {"ForAnyValue:StringEquals", "ArnNotLike"}
    assert len(json.dumps(SCP, separators=(",", ":"))) <= MAX_SCP_CHARACTERS
    assert STATEMENT["Action"] == sorted(STATEMENT["Action"]) and len(set(STATEMENT["Action"])) == len(
        STATEMENT["Action"]
    )


def test_each_action_is_an_operation_of_its_service():
    session = botocore.session.get_session()
    for action in STATEMENT["Action"]:
        prefix, operation = action.split(":")
        model = session.get_service_model(SERVICE_MODELS.get(prefix, prefix))
        assert operation in model.operation_names, action


def test_every_tagging_call_the_service_follows_is_denied_but_s3s_which_names_no_tag_key_condition():
    followed = {f"{c.event_source.split('.')[0]}:{c.event_name}" for c in TAGGING_CALLS}
    assert followed - set(STATEMENT["Action"]) == {"s3:PutBucketTagging"}, "docs/exemptions.md says why"


@pytest.mark.parametrize("action", STATEMENT["Action"])
def test_only_the_approver_may_set_or_remove_the_exemption_tag_and_other_tags_are_untouched(action):
    def denied(principal: str, keys: list[str]) -> bool:
        request = Request(action, "*", {"aws:TagKeys": keys, "aws:PrincipalArn": principal})
        allow_all = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        return decide(request, [allow_all, SCP]) == "explicit deny"

    assert denied(DEVELOPER, [TAG_KEY]) and denied(DEVELOPER, ["team", TAG_KEY])
    assert not denied(APPROVER, [TAG_KEY]), "the security team's approver role"
    assert not denied(DEVELOPER, ["team", "cost-centre"]), "any other tag is left alone"
