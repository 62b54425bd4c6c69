"""tests/filter_pattern.py against every JSON example of the CloudWatch Logs user guide's filter pattern syntax
(awsdocs/amazon-cloudwatch-logs-user-guide, doc_source/FilterAndPatternSyntax.md): the events and patterns as the
page prints them, and whether it says each matches."""

from __future__ import annotations

import pytest

from tests.filter_pattern import PatternError, matches

# "Matching terms in JSON log events": the page's example event.
TRAIL_EVENT = {
    "eventType": "UpdateTrail",
    "sourceIPAddress": "111.111.111.111",
    "arrayKey": ["value", "another value"],
    "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
    "SomeObject": None,
}
# "Using compound expressions to match terms in JSON objects": the page's example object.
USERS = {
    "user": {"id": 1, "email": "John.Stiles@example.com"},
    "users": [{"id": 2, "email": "John.Doe@example.com"}, {"id": 3, "email": "Jane.Doe@example.com"}],
    "actions": ["GET", "PUT", "DELETE"],
    "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]],
}


@pytest.mark.parametrize(
    ("event", "pattern", "expected"),
    [
        (TRAIL_EVENT, '{ $.eventType = "UpdateTrail" }', True),
        (TRAIL_EVENT, "{ $.sourceIPAddress != 123.123.* }", True),
        (TRAIL_EVENT, '{ $.arrayKey[0] = "value" }', True),
        (TRAIL_EVENT, "{ $.objectList[1].id = 2 }", True),
        (TRAIL_EVENT, "{ $.SomeObject IS NULL }", True),
        (TRAIL_EVENT, "{ $.SomeOtherObject NOT EXISTS }", True),
        (USERS, '{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', True),
        (
            USERS,
            '{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" && '
            '$.actions[2] = "nonmatch" }',
            True,
        ),  # fmt: skip
        (
            USERS,
            '{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch") && '
            '$.actions[2] = "nonmatch" }',
            False,
        ),  # fmt: skip
        (USERS, '{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', False),
    ],
)
def test_the_user_guide_examples(event, pattern, expected):
    assert matches(pattern, event) is expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        # The page's numeric operators, on an event of our own.
        ("{ $.bandwidth > 75 }", True),
        ("{ $.latency < 50 }", False),
        ("{ $.refreshRate >= 60 }", True),
        ("{ $.responseTime <= 5 }", True),
        ("{ $.errorCode = 400}", True),
        ("{ $.errorCode != 500 }", True),
        ("{ $.number[0] = 1e-3 }", True),
        ("{ $.number[0] != 1e+3 }", True),
        # The opposite of each, so none passes by accident.
        ("{ $.bandwidth <= 75 }", False),
        ("{ $.errorCode != 400 }", False),
        ("{ $.number[0] = 1e+3 }", False),
        # Wild cards at either end, and a missing property: only NOT EXISTS matches it.
        ('{ $.code = "*Operation" }', True),
        ('{ $.code = "Client.*" }', True),
        ('{ $.code = "*Denied*" }', False),
        ('{ $.absent != "x" }', False),
        ("{ $.absent NOT EXISTS }", True),
        ("{ $.code NOT EXISTS }", False),
    ],
)
def test_numbers_wild_cards_and_missing_properties(pattern, expected):
    event = {"bandwidth": 80, "latency": 50, "refreshRate": 60, "responseTime": 5, "errorCode": 400}
    event |= {"number": [0.001], "code": "Client.UnauthorizedOperation"}
    assert matches(pattern, event) is expected


@pytest.mark.parametrize(
    "pattern", ["$.a = 1", "{ $.a = }", "{ a = 1 }", "{ $.a ~ 1 }", "{ ($.a = 1 }", "{ $.a = 1 } x"]
)
def test_a_malformed_pattern_is_refused(pattern):
    with pytest.raises(PatternError):
        matches(pattern, {"a": 1})
