"""docs/controls.md and docs/parameters.md are generated (from the controls' metadata and from
template.yaml) and never stale."""

import pytest
from logbaseline import sam_template
from logbaseline.catalogue import render, render_parameters
from logbaseline.controls import all_controls

from tests.conftest import ROOT

TEMPLATE = sam_template.load(ROOT / "template.yaml")


def test_docs_controls_md_is_up_to_date():
    assert (ROOT / "docs/controls.md").read_text() == render(), "run: .venv/bin/logbaseline docs"


def test_every_control_has_its_section_with_parameters_fix_and_iam():
    text = render()
    for control in all_controls():
        section = text.split(f"## {control.id}\n", 1)[1].split("\n## ", 1)[0]
        assert control.title in section and control.fix_description in section
        assert all(action in section for action in control.read_actions + control.write_actions)
        assert all(f"`{p.name}`" in section for p in control.parameters)
        assert all(r in section for r in control.related_requirements)


def test_docs_parameters_md_is_up_to_date():
    assert (ROOT / "docs/parameters.md").read_text() == render_parameters(TEMPLATE), "run: .venv/bin/logbaseline docs"


def test_every_parameter_appears_once_with_its_type_default_and_meaning():
    text = render_parameters(TEMPLATE)
    rows = {line.split("|")[1].strip(): line for line in text.splitlines() if line.startswith("| `")}
    assert set(rows) == {f"`{name}`" for name in TEMPLATE["Parameters"]}
    assert len(rows) == sum(line.startswith("| `") for line in text.splitlines()), "a parameter listed twice"
    for name, parameter in TEMPLATE["Parameters"].items():
        cells = [cell.strip() for cell in rows[f"`{name}`"].split("|")[2:-1]]
        kind, default, allowed, meaning, _ = cells
        assert kind == parameter["Type"], name
        assert default == (f"`{parameter['Default']}`" if parameter.get("Default", "") != "" else "(empty)"), name
        assert all(f"`{value}`" in allowed for value in parameter.get("AllowedValues", [])), name
        assert meaning, f"{name} has no meaning: give it a Description in template.yaml"
    assert "## Other parameters" not in text, "give the new parameter a group in catalogue.PARAMETER_GROUPS"


def test_each_mode_parameter_names_its_control():
    text = render_parameters(TEMPLATE)
    modes = text.split("## Remediation modes\n", 1)[1].split("\n## ", 1)[0]
    for control in all_controls():
        assert (f"(`{control.id}`)" in modes) == (control.remediate is not None), control.id


def test_each_setting_has_one_name_per_place_and_the_stack_names_are_real():
    """A control parameter's messages name it three ways: the parameter (flow_log_destination), the variable
    the functions read (LOGBASELINE_FLOW_LOG_DESTINATION), and what the stack calls it (parameter
    FlowLogDestination, or output FlowLogsDeliveryRoleArn). Each must be the template's."""
    from logbaseline.controls.base import STACK_NAMES
    from logbaseline.engine.settings import variable

    environment = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    parameters = {p.name: p for c in all_controls() for p in c.parameters}
    assert set(STACK_NAMES) == set(parameters), "one stack name per control parameter, none stale"
    for parameter in parameters.values():
        assert parameter.variable == variable(parameter.name)
        assert parameter.variable in environment, f"the template sets no {parameter.variable}"
        kind, _, name = parameter.stack_name.partition(" ")
        value = environment[parameter.variable]
        if kind == "parameter":
            assert value == {"Ref": name} and name in TEMPLATE["Parameters"], parameter
        else:  # the stack makes the value itself: a person reads it from the output of that name
            assert kind == "output" and name in TEMPLATE["Outputs"], parameter
            resource = value["Fn::GetAtt"][0] if isinstance(value.get("Fn::GetAtt"), list) else ""
            output = TEMPLATE["Outputs"][name]["Value"]
            assert resource and resource in str(output), (parameter, output)


def test_cis_requirements_carry_their_version_and_agree_with_the_table():
    """Every CIS recommendation a control cites is in the table kept with its sources (controls/_benchmarks.py),
    spelled as Security Hub spells it; the Security Hub control the table names for it is the control's own;
    and every recommendation of the table is held by exactly one control."""
    from logbaseline.controls._benchmarks import RECOMMENDATIONS, requirement

    by_requirement = {requirement(*key): value for key, value in RECOMMENDATIONS.items()}
    held: dict[str, list[str]] = {}
    for control in all_controls():
        cis = [r for r in control.related_requirements if "CIS" in r]
        security_hub = {r.removeprefix("Security Hub ") for r in control.related_requirements if "Security Hub" in r}
        for text in cis:
            assert text in by_requirement, f"{control.id}: {text!r} is not in the table (or has no version)"
            assert by_requirement[text][1] in security_hub, (control.id, text, by_requirement[text])
            held.setdefault(text, []).append(control.id)
    assert {k: len(v) for k, v in held.items()} == dict.fromkeys(by_requirement, 1)


def test_the_table_says_both_versions_where_a_number_moved():
    from logbaseline.controls._benchmarks import V1_4, V3_0, cis

    config = next(c for c in all_controls() if c.id == "config_recorder_active")
    assert set(cis(v3="3.3", v14="3.5")) <= set(config.related_requirements)
    assert f"CIS AWS Foundations Benchmark {V1_4}/3.5" in config.related_requirements
    assert f"CIS AWS Foundations Benchmark {V3_0}/3.5" not in config.related_requirements  # CloudTrail's KMS key
    with pytest.raises(KeyError, match="no recommendation 3.6"):
        cis(v3="3.6")  # KMS key rotation: no control here holds it
