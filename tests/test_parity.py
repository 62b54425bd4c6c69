"""The parity table (controls/_parity.py, rendered into docs/controls.md) agrees with the registry: every control
it names exists, each control's "Security Hub X" requirements are exactly the anchors that name it, and every
anchor says which control holds it or why none does."""

from __future__ import annotations

from collections import Counter

import pytest
from logbaseline.catalogue import render
from logbaseline.controls import REGISTRY, all_controls
from logbaseline.controls._benchmarks import RECOMMENDATIONS, V1_4, V3_0, cis
from logbaseline.controls._parity import ANCHORS, NOT_COVERED, NOT_YET

SECURITY_HUB = "Security Hub "


def test_every_anchor_names_a_control_or_says_why_not():
    for anchor in ANCHORS:
        assert bool(anchor.controls) != bool(anchor.reason), anchor
        if anchor.reason:
            assert anchor.reason == NOT_YET or (
                anchor.reason.startswith(NOT_COVERED) and len(anchor.reason) > len(NOT_COVERED)
            ), anchor
        assert anchor.security_hub or anchor.config_rules, "an anchor is a Security Hub control or a Config rule"
        assert anchor.checks


def test_no_security_hub_control_or_config_rule_is_listed_twice():
    hub = Counter(a.security_hub for a in ANCHORS if a.security_hub)
    rules = Counter(r for a in ANCHORS for r in a.config_rules)
    assert [k for k, n in hub.items() if n > 1] == [] and [k for k, n in rules.items() if n > 1] == []


def test_every_control_the_table_names_is_registered():
    named = {c for a in ANCHORS for c in a.controls}
    assert named <= set(REGISTRY), named - set(REGISTRY)


@pytest.mark.parametrize("control", all_controls(), ids=lambda c: c.id)
def test_a_controls_security_hub_requirements_are_the_anchors_that_name_it(control):
    cited = {r.removeprefix(SECURITY_HUB) for r in control.related_requirements if r.startswith(SECURITY_HUB)}
    anchored = {a.security_hub for a in ANCHORS if control.id in a.controls and a.security_hub}
    assert cited == anchored, (control.id, cited ^ anchored)


def test_every_cis_v3_logging_recommendation_is_an_anchor():
    """The CIS v3.0 recommendations that controls/_benchmarks.py holds; 3.6, 3.8 and 3.9 are anchors too."""
    hub = {a.security_hub for a in ANCHORS}
    for (version, _number), (_title, security_hub) in RECOMMENDATIONS.items():
        if version == V3_0:
            assert security_hub in hub, security_hub
    assert {"KMS.4", "S3.22", "S3.23"} <= hub  # CIS v3.0 3.6, 3.8, 3.9


def test_the_catalogue_shows_each_anchor_with_its_control_or_reason():
    section = render().split("## Security Hub and AWS Config parity\n", 1)[1]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == len(ANCHORS)
    for anchor, row in zip(ANCHORS, rows, strict=True):
        assert (anchor.security_hub or "(none)") in row and all(f"`{r}`" in row for r in anchor.config_rules)
        assert all(f"`{c}`" in row for c in anchor.controls) and anchor.reason in row
    anchored = {c for a in ANCHORS for c in a.controls}
    beyond = [c.id for c in all_controls() if c.id not in anchored]
    assert beyond and all(f"`{c}`" in section.rsplit("\n\n", 1)[1] for c in beyond)


def test_a_cis_number_the_table_does_not_hold_is_refused_naming_its_version_and_number():
    assert cis(v3="3.8", v14="3.4") == (
        f"CIS AWS Foundations Benchmark {V3_0}/3.8",
        f"CIS AWS Foundations Benchmark {V1_4}/3.4",
    )
    with pytest.raises(KeyError, match=f"CIS AWS Foundations Benchmark {V1_4} has no recommendation 9.9 in this table"):
        cis(v3="3.8", v14="9.9")
