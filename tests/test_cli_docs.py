"""The README's command-line section against the program: every command has an example, the exit codes
it states are the program's, and every example's options exist."""

from __future__ import annotations

import re
import shlex

from click.testing import CliRunner
from logbaseline.cli import main
from logbaseline.errors import COULD_NOT_RUN_EXIT_CODE, FAIL_ON_EXIT_CODE, USAGE_EXIT_CODE

from tests.conftest import ROOT


def cli_section() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split("## Scan from the command line", 1)[1].split("\n## ", 1)[0]


def examples() -> list[list[str]]:
    return [shlex.split(line)[1:] for line in cli_section().splitlines() if line.startswith(".venv/bin/logbaseline ")]


def test_every_command_has_one_example():
    shown = [args[0] for args in examples()]
    assert sorted(shown) == sorted(main.commands), "one example per command, no more, no less"


def test_every_example_parses():
    """Each example's options exist: --help after them parses them (an unknown option is exit 2)."""
    for args in examples():
        result = CliRunner().invoke(main, [*(re.sub(r"<[^>]+>", "placeholder", a) for a in args), "--help"])
        assert result.exit_code == 0, (args, result.output)


def test_the_stated_exit_codes_are_the_programs():
    text = " ".join(cli_section().split())
    stated = dict(re.findall(r"`(\d)` (could not run|a usage error|with `--fail-on)", text))
    assert stated == {
        str(COULD_NOT_RUN_EXIT_CODE): "could not run",
        str(USAGE_EXIT_CODE): "a usage error",
        str(FAIL_ON_EXIT_CODE): "with `--fail-on",
    }
    assert "Exit codes" in (main.help or "") and f"{FAIL_ON_EXIT_CODE} results with the --fail-on status" in main.help
