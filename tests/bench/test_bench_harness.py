"""The pure parts of the scale benchmark (bench/benchlib.py, bench/scale_bench.py): no benchmark is run here."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


benchlib = _load("benchlib")
scale_bench = _load("scale_bench")


# --- percentiles ----------------------------------------------------------------------------------------------

def test_percentile_interpolates_between_ranks():
    values = [4.0, 1.0, 3.0, 2.0]          # order does not matter
    assert benchlib.percentile(values, 0) == 1.0
    assert benchlib.percentile(values, 50) == 2.5
    assert benchlib.percentile(values, 95) == pytest.approx(3.85)
    assert benchlib.percentile(values, 100) == 4.0
    assert benchlib.percentile([7.0], 95) == 7.0


def test_percentile_of_thirty_repetitions():
    values = [float(v) for v in range(1, 31)]   # 1..30 ms
    assert benchlib.percentile(values, 50) == 15.5
    assert benchlib.percentile(values, 95) == pytest.approx(28.55)


@pytest.mark.parametrize("values, p", [([], 50), ([1.0], -1), ([1.0], 101)])
def test_percentile_refuses_bad_input(values, p):
    with pytest.raises(ValueError):
        benchlib.percentile(values, p)


@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=50),
       st.floats(min_value=0, max_value=100), st.floats(min_value=0, max_value=100))
def test_percentile_is_monotonic_and_bounded(values, p, q):
    low, high = sorted([p, q])
    a, b = benchlib.percentile(values, low), benchlib.percentile(values, high)
    assert min(values) <= a <= b <= max(values)


def test_summarize():
    s = benchlib.summarize([10.0, 20.0, 30.0])
    assert (s.n, s.p50, s.mean, s.max) == (3, 20.0, 20.0, 30.0)


# --- targets and formatting -----------------------------------------------------------------------------------

def test_target_judges_upper_and_lower_bounds():
    page = benchlib.Target(100)
    assert page.judge(99.9) == "met"
    assert page.judge(100) == "met"
    assert page.judge(250) == "missed (+150 ms, 2.5×)"
    assert page.judge(None) == "n/a"
    assert page.label() == "<= 100 ms"
    assert benchlib.Target(1000).label() == "<= 1 s"
    assert benchlib.Target(30).label() == "<= 30 ms"
    rps = benchlib.Target(150, unit="req/s", at_least=True)
    assert rps.judge(151) == "met"
    assert rps.judge(75) == "missed (-75.0 req/s, 0.5× of target)"
    assert rps.label() == ">= 150 req/s"


@pytest.mark.parametrize("value, text", [(0, "0"), (0.84, "0.84"), (0.5, "0.5"), (3.14159, "3.1"), (12.34, "12.3"),
                                         (154.4, "154"), (1234.0, "1,234"), (None, "—")])
def test_fmt_num(value, text):
    assert benchlib.fmt_num(value) == text


@pytest.mark.parametrize("text, n", [("2k", 2000), ("100k", 100_000), ("1M", 1_000_000), ("2000", 2000),
                                     ("1_000", 1000), ("1.5k", 1500)])
def test_counts_round_trip(text, n):
    assert benchlib.parse_count(text) == n
    assert benchlib.parse_count(benchlib.fmt_count(n)) == n


@pytest.mark.parametrize("text", ["", "abc", "0", "-5k"])
def test_parse_count_refuses(text):
    with pytest.raises(ValueError):
        benchlib.parse_count(text)


def test_table_pads_and_aligns():
    out = benchlib.table(["scenario", "p95 ms"], [["list", "12.5"], ["card", "7"]])
    assert out.splitlines() == [
        "| scenario | p95 ms |",
        "|----------|-------:|",
        "| list     |   12.5 |",
        "| card     |      7 |",
    ]
    with pytest.raises(ValueError):
        benchlib.table(["a", "b"], [["only one"]])
    with pytest.raises(ValueError):
        benchlib.table(["a", "b"], [["1", "2"]], align="lx")


# --- RESULTS.md -----------------------------------------------------------------------------------------------

DOC = """# Benchmark results

## CommerceML catalog import

| a | b |
|---|---|

### Second pass

text

## Scale (#8)

old figures

### Load test

old

## Later section

keep me
"""


def test_replace_section_keeps_the_other_sections():
    new = benchlib.replace_section(DOC, "## Scale (#8)", "## Scale (#8)\n\nnew figures\n\n### Load test\n\nnew\n")
    assert "old" not in new
    assert "new figures" in new and "### Load test\n\nnew\n" in new
    before, after = DOC.split("## Scale (#8)")[0], DOC.split("## Later section")[1]
    assert new.startswith(before)
    assert new.endswith("## Later section" + after)


def test_replace_section_appends_when_missing():
    text = "# Benchmark results\n\n## Import\n\nfigures\n"
    new = benchlib.replace_section(text, "## Scale (#8)", "## Scale (#8)\n\nx")
    assert new == text + "\n## Scale (#8)\n\nx\n"
    with pytest.raises(ValueError):
        benchlib.replace_section(text, "## Scale (#8)", "no heading")


# --- HTML forms (the load test's edit) ------------------------------------------------------------------------

FORM = """
<form method="get" action="/search/"><input name="q" value=""></form>
<form method="post" action="/counterparties/1/edit/">
  <input type="hidden" name="csrfmiddlewaretoken" value="tok">
  <select name="kind"><option value="legal">Legal</option><option value="individual" selected>Person</option></select>
  <select name="country"><option value="RU">Russia</option><option value="IT">Italy</option></select>
  <input name="name" value="Rost &amp; Co">
  <input type="checkbox" name="is_vip">
  <input type="checkbox" name="is_active" checked>
  <input name="locked" value="x" disabled>
  <textarea name="notes">
first line
second</textarea>
  <button type="submit" name="save">Save</button>
</form>
"""


def test_form_fields_submits_what_a_browser_would():
    fields = benchlib.form_fields(FORM, has_field="notes")
    assert fields == [("csrfmiddlewaretoken", "tok"), ("kind", "individual"), ("country", "RU"),
                      ("name", "Rost & Co"), ("is_active", "on"), ("notes", "first line\nsecond")]
    assert benchlib.form_fields(FORM, has_field="q") == [("q", "")]
    with pytest.raises(ValueError):
        benchlib.form_fields(FORM, has_field="missing")


# --- load-test analysis and the rendered section --------------------------------------------------------------

def _measured():
    return {"users": 2, "ready": 2, "signin_failures": {}, "start": 100.0, "end": 110.0, "measured": True,
            "times": {"card": [[10.0, True], [20.0, True], [30.0, False]], "list": [[40.0, True]]},
            "failures": {"GET card: HTTP 500": 1}}


def test_analyze_load_counts_requests_errors_and_rate():
    result = scale_bench.analyze_load(_measured())
    assert result["requests"] == 4
    assert result["rps"] == pytest.approx(0.4)
    assert result["errors"] == 1
    assert result["p50"] == 25.0
    assert result["per_name"]["card"] == {"count": 3, "errors": 1, "p50": 20.0, "p95": 29.0, "max": 30.0}


def test_analyze_load_when_the_measurement_never_started():
    measured = _measured() | {"measured": False, "start": None, "times": {}}
    result = scale_bench.analyze_load(measured)
    assert result["requests"] == 0 and result["p95"] is None


def test_section_renders_partial_results():
    """A store with a KPI report not available yet and one load test renders, with the targets table."""
    scenarios = [
        {"key": "list", "label": "Counterparty list (default)", "status": "ok", "n": 30, "p50": 20.0, "p95": 120.0,
         "queries": 8, "user": "anna"},
        {"key": "api", "label": "API list page of 100", "status": "ok", "n": 30, "p50": 10.0, "p95": 12.0,
         "queries": 5, "user": "anna"},
        {"key": "kpi", "label": "KPI report over a year", "status": "not available", "error": "no URL"},
    ]
    run = {"db": "postgres", "n": 1_000_000, "manager": "anna", "owned": 250_000, "total": 1_000_000,
           "counts": {"counterparties": 1_000_000, "deals": 500_000}, "reps": 30, "warmup": 3,
           "server_version": "15.20", "scenarios": scenarios, "machine": {"date": "today", "load": "1.0"}}
    load = {"db": "sqlite", "n": 100_000, "users": 50, "think": [0.05, 0.25], "workers": 4, "threads": 4,
            "accounts": 4, "server_version": "3.40.1", "server_log": {"database is locked": 0, "tracebacks": 0},
            "cpu": {"gunicorn": 60.0, "locust": 20.0, "machine": 95.0}, "machine": {"date": "today", "load": "2"},
            **scale_bench.analyze_load(_measured())}
    store = {"scenarios": {"postgres/1000000": run}, "load": {"sqlite/100000": load},
             "machine": {"cpu": "Test CPU", "cores": 2, "ram_gb": 8, "os": "Linux", "python": "3.11", "sqlite": "3.40",
                         "load": "1.0", "date": "today"}}
    text = scale_bench.render_section(store)
    assert text.startswith("## Scale (#8)\n")
    assert "| Counterparty list (default) |" in text.replace("  ", " ")
    assert "missed (+20.0 ms, 1.2×)" in text
    assert "not available" in text
    assert "report only" in text          # SQLite load figures are reported, not judged
    summary = scale_bench.summary_table(store)
    assert "not measured" in summary      # no SQLite scenarios, no PostgreSQL load test


def test_calibration_reports_best_and_mean():
    cal = benchlib.calibration()
    assert 0 < cal["best_ms"] <= cal["mean_ms"]
