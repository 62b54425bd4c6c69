"""The test evaluator (tests/iam_policy.py) against AWS's documented policy evaluation logic.

Each case is one rule of the IAM User Guide ("Policy evaluation logic", "Condition operators",
"Set operators for multivalued context keys", "Resource" and "Action" elements).
"""

from __future__ import annotations

import pytest

from tests.iam_policy import Request, allowed, arn_matches, conditions_hold, decide

BUCKET = "arn:aws:s3:::logs"


def policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action="s3:PutBucketLogging", resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def test_nothing_allows_so_the_request_is_implicitly_denied():
    assert decide(Request("s3:PutBucketLogging", BUCKET), []) == "implicit deny"
    assert decide(Request("s3:PutBucketPolicy", BUCKET), [policy(allow())]) == "implicit deny"


def test_an_explicit_deny_wins_over_any_allow():
    deny = {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}
    assert decide(Request("s3:PutBucketLogging", BUCKET), [policy(allow()), policy(deny)]) == "explicit deny"


def test_actions_ignore_case_and_take_wildcards_but_not_across_services():
    assert allowed(Request("s3:putbucketlogging", BUCKET), [policy(allow())])
    assert allowed(Request("s3:PutBucketLogging", BUCKET), [policy(allow("s3:Put*"))])
    assert not allowed(Request("s3express:PutBucketLogging", BUCKET), [policy(allow("s3:Put*"))])


def test_resources_are_case_sensitive_and_a_wildcard_stays_within_its_arn_part():
    assert not arn_matches("arn:aws:s3:::Logs", BUCKET)
    assert arn_matches(
        "arn:aws:iam::*:role/logbaseline-member-read", "arn:aws:iam::111122223333:role/logbaseline-member-read"
    )
    assert not arn_matches("arn:aws:iam::*:role/x", "arn:aws:iam::111122223333:role/x/y")
    assert not arn_matches("arn:aws:logs:*:111122223333:log-group:*", "arn:aws:logs:us-east-1:444455556666:log-group:a")
    # the resource part may hold colons and slashes: a trailing * covers them
    assert arn_matches("arn:aws:logs:*:1:log-group:*", "arn:aws:logs:eu-west-1:1:log-group:/aws/a:log-stream:b")


def test_not_action_and_not_resource_match_everything_else():
    statement = {"Effect": "Allow", "NotAction": "s3:PutBucketPolicy", "NotResource": "arn:aws:s3:::secret"}
    assert allowed(Request("s3:PutBucketLogging", BUCKET), [policy(statement)])
    assert not allowed(Request("s3:PutBucketPolicy", BUCKET), [policy(statement)])
    assert not allowed(Request("s3:PutBucketLogging", "arn:aws:s3:::secret"), [policy(statement)])


def test_keys_of_a_block_are_anded_and_values_of_a_key_ored():
    condition = {"StringEquals": {"s3:ResourceAccount": ["1", "2"], "aws:PrincipalOrgID": "o-1"}}
    assert conditions_hold(condition, {"s3:ResourceAccount": "2", "aws:PrincipalOrgID": "o-1"})
    assert not conditions_hold(condition, {"s3:ResourceAccount": "3", "aws:PrincipalOrgID": "o-1"})
    assert not conditions_hold(condition, {"s3:ResourceAccount": "1"})


def test_negated_operators_nor_their_values():
    condition = {"StringNotEquals": {"aws:PrincipalTag/role": ["audit", "security"]}}
    assert not conditions_hold(condition, {"aws:PrincipalTag/role": "audit"})
    assert conditions_hold(condition, {"aws:PrincipalTag/role": "dev"})


def test_a_missing_key_fails_a_condition_except_negated_if_exists_and_null():
    assert not conditions_hold({"StringEquals": {"k": "v"}}, {})
    assert conditions_hold({"StringNotEquals": {"k": "v"}}, {})
    assert conditions_hold({"ArnNotLike": {"k": "arn:aws:s3:::*"}}, {})
    assert conditions_hold({"StringEqualsIfExists": {"k": "v"}}, {})
    assert not conditions_hold({"StringEqualsIfExists": {"k": "v"}}, {"k": "w"})
    assert conditions_hold({"Null": {"k": "true"}}, {}) and not conditions_hold({"Null": {"k": "true"}}, {"k": "v"})
    assert conditions_hold({"Null": {"k": "false"}}, {"k": "v"}) and not conditions_hold({"Null": {"k": "false"}}, {})


def test_set_operators_for_keys_with_several_values():
    any_of = {"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}}
    all_of = {"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}
    assert conditions_hold(any_of, {"aws:TagKeys": ["a", "z"]}) and not conditions_hold(any_of, {"aws:TagKeys": ["z"]})
    assert conditions_hold(all_of, {"aws:TagKeys": ["a", "b"]}) and not conditions_hold(
        all_of, {"aws:TagKeys": ["a", "z"]}
    )
    assert conditions_hold(all_of, {}), "ForAllValues holds when the key is missing"
    assert not conditions_hold(any_of, {}), "ForAnyValue fails when the key is missing"


def test_a_session_policy_only_narrows():
    identity = [policy(allow())]
    narrow = policy(allow(resource=BUCKET))
    assert allowed(Request("s3:PutBucketLogging", BUCKET), identity, session=narrow)
    assert not allowed(Request("s3:PutBucketLogging", "arn:aws:s3:::other"), identity, session=narrow)
    wide = policy(allow("s3:*"))
    assert not allowed(Request("s3:PutBucketPolicy", BUCKET), identity, session=wide), "a session policy grants nothing"


def test_a_resource_policy_allows_a_principal_it_names_and_its_deny_binds_everyone():
    queue = "arn:aws:sqs:us-east-1:1:fixes"
    role = "arn:aws:iam::1:role/logbaseline/stack-evaluator"
    resource_policy = policy(
        {"Effect": "Allow", "Principal": {"AWS": role}, "Action": "sqs:SendMessage", "Resource": queue},
        {"Effect": "Deny", "Principal": "*", "Action": "sqs:SendMessage", "Resource": queue,
         "Condition": {"ArnNotEquals": {"aws:PrincipalArn": role}}},
    )  # fmt: skip
    sender = Request("sqs:SendMessage", queue, {"aws:PrincipalArn": role}, principal=role)
    assert allowed(sender, [], resource_policy=resource_policy)
    other = "arn:aws:iam::1:role/admin"
    intruder = Request("sqs:SendMessage", queue, {"aws:PrincipalArn": other}, principal=other)
    assert decide(intruder, [policy(allow("sqs:*"))], resource_policy=resource_policy) == "explicit deny"


@pytest.mark.parametrize("operator", ["StringLike", "ArnLike"])
def test_like_operators_take_wildcards(operator):
    assert conditions_hold({operator: {"k": "arn:aws:iam::1:role/*"}}, {"k": "arn:aws:iam::1:role/x"})
    assert not conditions_hold({operator: {"k": "arn:aws:iam::1:role/*"}}, {"k": "arn:aws:iam::2:role/x"})
