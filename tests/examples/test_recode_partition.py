"""The bulk-recoding example runs, and partitioned runs agree with a whole-frame run."""

from __future__ import annotations

import importlib.util
import runpy
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "recode_partition.py"


@pytest.fixture(scope="module")
def example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("recode_partition", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_frame(example: ModuleType) -> None:
    out = example.demo()
    assert list(out["opcs4"]) == ["J03.2 Y13.7 Y53.2", "J12.7 Y53.3", "J08.3", "J12.7 Y53.3", ""]
    assert list(out["status"])[:4] == ["coded"] * 4
    assert out["status"].iloc[4] == "needs approach: J03.2 Y13.7 | J12.7 | J08.3"


@pytest.mark.parametrize("parts", [1, 2, 3])
def test_partitions_agree_with_whole(example: ModuleType, parts: int) -> None:
    frame = pd.DataFrame(
        {
            "procedure": ["mwa-liver-open", "mwa-liver-laparoscopic", "not-a-code"] * 4,
            "image_control": ["", "mri", "ct", "video"] * 3,
        },
        index=range(100, 112),
    )
    whole = example.recode_partition(frame)
    size = -(-len(frame) // parts)
    pieces = [
        example.recode_partition(frame.iloc[i : i + size]) for i in range(0, len(frame), size)
    ]
    pd.testing.assert_frame_equal(pd.concat(pieces), whole)
    assert list(whole.index) == list(frame.index)
    assert whole.loc[101, "opcs4"] == "J08.3 Y53.7"
    assert whole.loc[102, "opcs4"] == "" and "No mapping" in whole.loc[102, "status"]


def test_script_prints_table(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert "J03.2 Y13.7 Y53.2" in out
    assert out.splitlines()[0].split() == [
        "episode",
        "procedure",
        "image_control",
        "opcs4",
        "status",
    ]
