"""The README's mission table (SEC04-BP01's log sources, anti-patterns and guidance, each against its controls) names
every control of the registry, and nothing else; the sentence above it counts them."""

from __future__ import annotations

import re

from logbaseline.controls import REGISTRY

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
HEADER = "| log source or anti-pattern | controls |"
UNITS = "zero one two three four five six seven eight nine".split()
TENS = {2: "twenty", 3: "thirty", 4: "forty", 5: "fifty", 6: "sixty", 7: "seventy", 8: "eighty", 9: "ninety"}
TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()


def in_words(number: int) -> str:
    if number < 10:
        return UNITS[number]
    if number < 20:
        return TEENS[number - 10]
    tens, units = divmod(number, 10)
    return TENS[tens] + (f"-{UNITS[units]}" if units else "")


def mission_rows() -> list[tuple[str, str]]:
    table = README.split(HEADER, 1)[1].split("\n\n", 1)[0]
    lines = [line for line in table.strip().splitlines() if line.startswith("|")]
    assert lines[0].replace(" ", "") == "|---|---|"
    rows = []
    for line in lines[1:]:
        item, controls = (cell.strip() for cell in line.strip().strip("|").split("|", 1))
        rows.append((item, controls))
    return rows


def named(cell: str) -> set[str]:
    """The control ids a cell names: backticked snake_case words (parameters are CamelCase, commands have spaces)."""
    return {word for word in re.findall(r"`([a-z0-9]+(?:_[a-z0-9]+)+)`", cell)}


def test_every_control_is_in_the_mission_table_and_no_unknown_one():
    rows = mission_rows()
    assert len(rows) >= 10 and all(item and controls for item, controls in rows)
    seen = set().union(*(named(controls) for _, controls in rows))
    assert not seen - set(REGISTRY), f"the table names controls the registry does not have: {seen - set(REGISTRY)}"
    assert not set(REGISTRY) - seen, f"controls missing from the README's mission table: {set(REGISTRY) - seen}"


def test_each_row_names_a_practice_item_once():
    items = [item.lower() for item, _ in mission_rows()]
    assert len(items) == len(set(items)), "an item of the practice is one row"


def test_the_sentence_above_the_table_counts_the_controls():
    before = README.split(HEADER, 1)[0].rstrip().rsplit("\n\n", 1)[-1]
    count = re.match(r"([A-Z][a-z-]+) controls cover", before)
    assert count, f"the paragraph before the mission table starts with the number of controls: {before[:80]!r}"
    assert count.group(1).lower() == in_words(len(REGISTRY))


def test_the_counter_reads_numbers_as_the_readme_writes_them():
    assert [in_words(n) for n in (7, 13, 30, 35, 37, 40, 58)] == [
        "seven", "thirteen", "thirty", "thirty-five", "thirty-seven", "forty", "fifty-eight",
    ]  # fmt: skip
