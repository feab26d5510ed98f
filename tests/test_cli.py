"""`nice-tx --help`: every subcommand listed, examples shown, exit codes stated."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from plugin.cli import main


def test_top_level_help() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in ("serve", "package", "content", "validate", "Examples:", "Exit codes"):
        assert name in result.output


@pytest.mark.parametrize("args", [["serve"], ["package"], ["content", "list"], ["validate"]])
def test_subcommand_help_has_examples(args: list[str]) -> None:
    result = CliRunner().invoke(main, [*args, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output
    assert f"nice-tx {args[0]}" in result.output


def test_unknown_command_is_usage_error() -> None:
    assert CliRunner().invoke(main, ["frobnicate"]).exit_code == 2
