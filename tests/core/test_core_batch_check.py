"""``groupguard check --stdin`` on several processes: the same lines out, in the same order,
with the same exit status, as on one."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.batch_check import CHUNK_LINES, check_lines, chunks

ROOT = Path(__file__).resolve().parents[2]


def _render(batch: list[str]) -> tuple[str, bool]:
    # A stand-in for detection that shows which process rendered each line.
    return "".join(f"{text}:{os.getpid()}\n" for text in batch), any("hit" in t for t in batch)


@pytest.mark.parametrize("jobs", [1, 3])
def test_lines_come_out_in_input_order_whatever_the_number_of_processes(jobs: int) -> None:
    lines = [f"line{i}" if i != 7000 else "a hit" for i in range(3 * CHUNK_LINES + 17)]
    out = io.StringIO()
    assert check_lines(lines, _render, out, jobs=jobs) is True
    rendered = out.getvalue().splitlines()
    assert [r.rsplit(":", 1)[0] for r in rendered] == lines
    pids = {r.rsplit(":", 1)[1] for r in rendered}
    # Several processes share a long input; one process renders everything with one job.
    assert (pids == {str(os.getpid())}) if jobs == 1 else (str(os.getpid()) not in pids)


def test_a_short_input_stays_in_one_process() -> None:
    out = io.StringIO()
    assert check_lines(["a", "b"], _render, out, jobs=4) is False
    assert {r.rsplit(":", 1)[1] for r in out.getvalue().splitlines()} == {str(os.getpid())}
    assert list(chunks([], 3)) == [] and list(chunks("abcde", 2)) == [["a", "b"], ["c", "d"], ["e"]]


def test_the_cli_gives_the_same_verdicts_on_two_processes_as_on_one(tmp_path: Path) -> None:
    texts = ["请各社区于本周五前报送台账", "加我微信带你赌博", "机密文件发群里了", "收到，谢谢"]
    stdin = "\n".join(texts[i % len(texts)] + f" {i}" for i in range(2 * CHUNK_LINES + 5)) + "\n"

    def check(jobs: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", "check", "--stdin", "--json", "--jobs", jobs],
            input=stdin, capture_output=True, text=True, cwd=tmp_path, timeout=300,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip

    one, two = check("1"), check("2")
    assert one.returncode == two.returncode == 1, (one.stderr, two.stderr)
    assert one.stdout == two.stdout
    verdicts = [json.loads(line)["categories"] for line in two.stdout.splitlines()]
    assert len(verdicts) == 2 * CHUNK_LINES + 5
    assert verdicts[:4] == [[], ["illegal"], ["secret"], []]
