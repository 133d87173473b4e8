"""The pure parts of the scale benchmark (issue #8): percentiles, targets, tables, the RESULTS.md section.

No Django and no database here, so tests/bench can check them without running a benchmark.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser

# --------------------------------------------------------------------------- statistics


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100) by linear interpolation between closest ranks (numpy's default method)."""
    if not values:
        raise ValueError("percentile of an empty list")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be within 0..100, not {p}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Summary:
    n: int
    p50: float
    p95: float
    mean: float
    max: float


def summarize(values: Sequence[float]) -> Summary:
    return Summary(n=len(values), p50=percentile(values, 50), p95=percentile(values, 95),
                   mean=sum(values) / len(values), max=max(values))


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Target:
    """`value <= limit` (or `>=` when `at_least`), in the unit the figures are printed in."""

    limit: float
    unit: str = "ms"
    at_least: bool = False

    def label(self) -> str:
        sign = ">=" if self.at_least else "<="
        if self.unit == "ms" and self.limit >= 1000:
            return f"{sign} {self.limit / 1000:g} s"
        return f"{sign} {self.limit:g} {self.unit}".rstrip()

    def judge(self, value: float | None) -> str:
        """'met', 'missed (+N unit, X.Y×)' or 'n/a' when there is no value."""
        if value is None:
            return "n/a"
        if self.at_least:
            if value >= self.limit:
                return "met"
            return f"missed ({fmt_num(value - self.limit)} {self.unit}, {fmt_ratio(value / self.limit)} of target)"
        if value <= self.limit:
            return "met"
        return f"missed (+{fmt_num(value - self.limit)} {self.unit}, {fmt_ratio(value / self.limit)})"


def fmt_ratio(ratio: float) -> str:
    return f"{ratio:.1f}×" if ratio < 100 else f"{ratio:,.0f}×"


def fmt_num(value: float | None) -> str:
    """Milliseconds and rates as people read them: 0.84, 12.3, 154, 1,234."""
    if value is None:
        return "—"
    if isinstance(value, float) and math.isnan(value):
        return "—"
    magnitude = abs(value)
    if magnitude == 0:
        return "0"
    if magnitude < 10:
        return f"{value:.2f}".rstrip("0").rstrip(".") if magnitude < 1 else f"{value:.1f}"
    if magnitude < 100:
        return f"{value:.1f}"
    return f"{value:,.0f}"


def fmt_count(n: int) -> str:
    """100000 -> '100k', 1000000 -> '1M', 2000 -> '2k', 1500 -> '1,500'."""
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return f"{n:,}"


def parse_count(text: str) -> int:
    """'100k' -> 100000, '1M' -> 1000000, '2000' -> 2000, '1_000' -> 1000."""
    value = text.strip().lower().replace("_", "").replace(",", "")
    factor = 1
    if value.endswith("k"):
        factor, value = 1000, value[:-1]
    elif value.endswith("m"):
        factor, value = 1_000_000, value[:-1]
    try:
        number = int(float(value) * factor)
    except ValueError:
        raise ValueError(f"not a count: {text!r} (use e.g. 2000, 100k, 1M)") from None
    if number < 1:
        raise ValueError(f"a count must be positive: {text!r}")
    return number


# --------------------------------------------------------------------------- tables


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], align: str | None = None) -> str:
    """A Markdown table padded to column width, so it reads the same in a terminal and in RESULTS.md.

    `align` has one letter per column: 'l' or 'r' (default: first column left, the rest right).
    """
    rows = [["" if cell is None else str(cell) for cell in row] for row in rows]
    for row in rows:
        if len(row) != len(headers):
            raise ValueError(f"row has {len(row)} cells, the table {len(headers)} columns: {row}")
    align = align or "l" + "r" * (len(headers) - 1)
    if len(align) != len(headers) or set(align) - {"l", "r"}:
        raise ValueError(f"align must be one l/r per column, got {align!r}")
    widths = [max([len(h), 3, *(len(row[i]) for row in rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) if a == "l" else c.rjust(w)
                                 for c, w, a in zip(cells, widths, align, strict=True)) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if a == "r" else ("-" * (w + 2))
                          for w, a in zip(widths, align, strict=True)) + "|"
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


# --------------------------------------------------------------------------- RESULTS.md


def replace_section(text: str, heading: str, body: str) -> str:
    """Replace the level-2 section titled `heading` (up to the next level-2 heading) with `body`; append it
    when there is none. Every other section is kept byte for byte."""
    if not body.startswith(heading):
        raise ValueError("the new section must start with its own heading")
    body = body.rstrip("\n") + "\n"
    lines = text.splitlines(keepends=True)
    start = next((i for i, ln in enumerate(lines) if ln.rstrip("\n") == heading), None)
    if start is None:
        sep = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
        return text + sep + body
    end = next((i for i in range(start + 1, len(lines)) if re.match(r"## (?!#)", lines[i])), len(lines))
    after = lines[end:]
    return "".join(lines[:start]) + body + ("\n" if after else "") + "".join(after)


# --------------------------------------------------------------------------- machine


def machine_info() -> dict:
    """What the figures depend on: CPU, cores, memory, versions, the load when measured."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    ram_gb = None
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
                    break
    except OSError:
        pass
    try:
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    pressure = None
    try:
        # Share of the last minute in which some runnable task waited for a CPU (Linux PSI).
        with open("/proc/pressure/cpu", encoding="utf-8") as fh:
            pressure = float(re.search(r"some avg10=\S+ avg60=(\S+)", fh.read()).group(1))
    except (OSError, AttributeError, ValueError):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gb": ram_gb, "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "os": f"{platform.system()} {platform.release()}",
            "load": load, "cpu_pressure": pressure, "calibration": calibration(),
            "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")}


def calibration() -> dict:
    """Two million Python additions, five times: the best run says how fast a core is, the mean how much of
    one this process gets right now (their ratio is the slowdown from other work on the machine)."""
    import time

    runs = []
    for _ in range(5):
        started = time.perf_counter()
        total = 0
        for i in range(2_000_000):
            total += i
        runs.append((time.perf_counter() - started) * 1000)
    return {"best_ms": round(min(runs), 1), "mean_ms": round(sum(runs) / len(runs), 1)}


# --------------------------------------------------------------------------- HTML forms (the load test's edits)


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = {"action": a.get("action", ""), "method": a.get("method", "get").lower(), "fields": []}
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._form["fields"].append((name, a.get("value", "on" if kind in ("checkbox", "radio") else "")))
        elif tag == "textarea" and name and "disabled" not in a:
            self._textarea = name
            self._form["fields"].append((name, ""))
        elif tag == "select" and name and "disabled" not in a:
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select is not None:
            if self._select_first is None:
                self._select_first = a.get("value", "")
            if "selected" in a:
                self._form["fields"].append((self._select, a.get("value", "")))
                self._select_chosen = True

    def handle_data(self, data):
        if self._textarea is not None and self._form is not None:
            name, value = self._form["fields"][-1]
            self._form["fields"][-1] = (name, value + data)

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            # Browsers drop the one newline right after <textarea>.
            name, value = self._form["fields"][-1]
            self._form["fields"][-1] = (name, value[1:] if value.startswith("\n") else value)
            self._textarea = None
        elif tag == "select" and self._select is not None:
            if not self._select_chosen and self._select_first is not None:
                self._form["fields"].append((self._select, self._select_first))
            self._select = None
        elif tag == "form":
            self._form = None


def form_fields(html: str, *, has_field: str) -> list[tuple[str, str]]:
    """The (name, value) pairs a browser would submit for the first form of `html` with a field `has_field`:
    inputs with their values, checked boxes only, the selected option (or the first), textareas' text."""
    parser = _FormParser()
    parser.feed(html)
    for form in parser.forms:
        if any(name == has_field for name, _value in form["fields"]):
            return form["fields"]
    raise ValueError(f"no form with a field {has_field!r} in the page")
