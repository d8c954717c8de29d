"""pypika-bench lock-scope: the experiment runs end to end, reports every figure for both scopes,
and the default (wide) scope never produces a snapshot whose data and offset disagree."""

from __future__ import annotations

import json
import math

import pytest

from pypika_store.testing import bench


def test_lock_scope_smoke(tmp_path) -> None:
    output = tmp_path / "results"
    assert bench.main(["lock-scope", "--duration", "0.6", "--repetitions", "2", "--clients", "4",
                       "--pipeline", "4", "--interval-ms", "10", "--output", str(output)]) == 0
    results = json.loads((output / "results.json").read_text())
    runs = results["runs"]
    assert [run["scope"] for run in runs] == ["command+binlog", "command", "command", "command+binlog"]
    for run in runs:
        assert run["throughput"] > 0 and run["snapshots"] > 0
        assert 0 < run["p50_ms"] <= run["p99_ms"] <= run["p999_ms"]
        assert 0 <= run["disagreeing"] <= run["snapshots"]
    assert all(run["disagreeing"] == 0 for run in runs if run["scope"] == "command+binlog")
    for scope in bench.SCOPES:
        summary = results["summary"][scope]
        assert set(summary) == {field for field, _, _ in bench.METRICS}
        assert summary["throughput"]["count"] == 2 and math.isfinite(summary["throughput"]["half_width"])
    assert results["verdict"].startswith("verdict: ") and "significant" in results["verdict"]
    assert (output / "results.md").read_text().startswith("| bgsave-lock-scope |")
    assert (tmp_path / "results" / results["plot"].rsplit("/", 1)[1]).exists()


def test_confidence_interval_uses_student_t() -> None:
    estimate = bench.estimate([1.0, 2.0, 3.0])
    assert estimate.mean == 2.0
    assert math.isclose(estimate.half_width, 4.303 * 1.0 / math.sqrt(3))
    assert bench.t_critical(1000) == 1.96


def test_welch_difference_of_identical_samples_is_not_significant() -> None:
    same = bench.estimate([10.0, 12.0, 11.0])
    difference, half_width = bench.welch(same, same)
    assert difference == 0.0 and half_width > 0


def test_text_chart_when_matplotlib_is_missing() -> None:
    runs = [bench.Run(scope, repetition, 1000.0 + repetition, 1.0, 2.0, 3.0, 10, 5, 4,
                      0 if scope == bench.SCOPE_COMMAND_AND_BINLOG else 2)
            for repetition in range(2) for scope in bench.SCOPES]
    chart = bench.text_chart(bench.summarise(runs), width=10).splitlines()
    assert chart[-3:] == ["data ≠ offset", "  command+binlog             0.00 ± 0.00",
                          "  command         ########## 2.00 ± 0.00"]


def test_one_repetition_is_refused(capsys) -> None:
    with pytest.raises(SystemExit):
        bench.main(["lock-scope", "--repetitions", "1"])
    assert "at least 2" in capsys.readouterr().err
