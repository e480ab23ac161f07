"""The benchmarks' figures land in bench/RESULTS.md through one writer, traceable to their run."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import results  # noqa: E402


@pytest.fixture
def results_file(tmp_path, monkeypatch):
    path = tmp_path / "RESULTS.md"
    monkeypatch.setattr(results, "RESULTS", path)
    return path


def test_a_run_replaces_its_own_section_and_keeps_the_others(results_file):
    first = results.Report("bench_a", argv=["--docs", "10"])
    first("full build: 12.0 s")
    first.save()
    other = results.Report("bench_b", argv=[])
    other("queries: 3 KB")
    other.save()
    again = results.Report("bench_a", argv=["--docs", "20"])
    again("full build: 11.0 s")
    again.save()

    text = results_file.read_text(encoding="utf-8")
    assert text.count("## bench_a") == 1 and text.count("## bench_b") == 1
    assert "11.0 s" in text and "12.0 s" not in text and "queries: 3 KB" in text
    section = text.split("## bench_a", 1)[1].split("## ", 1)[0]
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC, commit \S+, \d+ CPUs", section)
    assert "`--docs 20`" in section


def test_a_failed_benchmark_does_not_replace_good_figures(results_file, capsys):
    with results.recording("bench_c"):
        print("good: 1.0 s")
    with pytest.raises(RuntimeError), results.recording("bench_c"):
        print("half a run")
        raise RuntimeError("the server did not start")
    text = results_file.read_text(encoding="utf-8")
    assert "good: 1.0 s" in text and "half a run" not in text
    assert "good: 1.0 s" in capsys.readouterr().out  # still printed as it went


def test_help_does_not_replace_good_figures(results_file):
    """``bench_x.py --help`` runs inside ``recording`` and exits 0 through argparse."""
    import argparse

    with results.recording("bench_d"):
        print("good: 2.0 s")
    with pytest.raises(SystemExit), results.recording("bench_d"):
        argparse.ArgumentParser(description="usage text").parse_args(["--help"])
    text = results_file.read_text(encoding="utf-8")
    assert "good: 2.0 s" in text and "usage text" not in text


def test_benchmarks_write_through_the_writer_and_find_the_corpus_by_environment():
    for script in sorted(BENCH.glob("*.py")):
        source = script.read_text(encoding="utf-8")
        # the module docstring's usage examples may show a value for the variable; the code may not
        code = re.sub(r'\A(?:\s*#[^\n]*\n)*\s*(?:"""|\'\'\').*?(?:"""|\'\'\')', "", source, count=1, flags=re.S)
        assert "/work/shared" not in code and "../shared" not in code, script
        if script.name.startswith(("bench_", "compare_")):
            assert "from results import" in source, f"{script.name} does not write bench/RESULTS.md"
