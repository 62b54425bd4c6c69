"""docs/controls.md is generated from the controls' metadata and never stale."""

from logbaseline.catalogue import render
from logbaseline.controls import all_controls

from tests.conftest import ROOT


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
