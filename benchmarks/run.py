"""Measure reportgen at scale and print a table (and write JSON).

    python benchmarks/run.py [--regions N] [--workdir DIR] [--json FILE] [--jobs N]

Generates SYNTHETIC content with benchmarks/generate.py (national scale by default), then
runs the real command line, each step in a fresh process:

1. cold full build: ``reportgen build --no-cache`` (all pages, all charts incl. static SVG);
2. first build with the cache (fills it), then a rebuild with nothing changed;
3. a rebuild after editing one fact in one file (five times, each a new edit: the
   median is reported, with the fastest and the slowest); then one after adding an
   article (a source, and a fact citing it: what contributors do most);
4. what ``reportgen serve`` does after another edit: the rebuild that shows the pages
   (keeping the previous data files and search index), then those made again; first
   after serve started (its first build found nothing changed, and it got ready while
   waiting for the edit), then after the next edit in that process;
5. ``reportgen check`` with the cache warm, and cold;
6. a rebuild after editing a template (the footer: every page rendered again, the charts
   from the cache, the search index kept);

and reports wall time, peak memory of the cold build, pages per second, and the time per
stage of the cold build (from ``build --verbose``).

Peak memory is the largest total, sampled every 0.1 s, of the proportional set size
(PSS, from /proc/PID/smaps_rollup) of every process of the build at once: the command,
its page workers and Pagefind.  PSS shares the pages forked workers still have in common
with the command among them, so nothing is counted twice; the largest single process
alone would understate what the machine needs.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.generate import REGENCIES, generate  # noqa: E402

EDITS = 5
"""How many one-fact rebuilds are measured (their median is reported)."""

TARGETS = {
    "cold full build": 20.0,
    "rebuild, nothing changed": 1.0,
    "rebuild, one fact edited": 2.0,
    "rebuild in serve, one fact edited: pages shown": 2.0,
    "serve, the next edit: pages shown": 2.0,
    "check (cache warm)": 3.0,
}


def run(args: list[str], env: dict) -> tuple[float, str]:
    """Run reportgen in a fresh process; (seconds, output). Fails loudly on a non-zero exit."""
    seconds, output, _memory = run_measured(args, env, sample=False)
    return seconds, output


def run_measured(args: list[str], env: dict, sample: bool = True) -> tuple[float, str, float]:
    """Run reportgen in a fresh process; (seconds, output, peak total PSS in MB of it and
    every process it started, sampled every 0.1 s)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen([sys.executable, "-m", "reportgen", *args], cwd=ROOT,
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
        peak = 0
        while sample and process.poll() is None:
            peak = max(peak, sum(_pss_kb(pid) for pid in _process_tree(process.pid)))
            time.sleep(0.1)
        process.wait()
        seconds = time.perf_counter() - start
        out.seek(0)
        output = out.read().decode("utf-8", "replace")
    if process.returncode != 0:
        sys.exit(f"reportgen {' '.join(args)} failed:\n{output[-3000:]}")
    return seconds, output, peak / 1024


def _process_tree(root: int) -> list[int]:
    """*root* and all its descendants now running."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(name))
    tree = [root]
    for pid in tree:
        tree.extend(children.get(pid, []))
    return tree


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_python(code: str, env: dict) -> tuple[float, str]:
    """Run *code* in a fresh interpreter; (seconds, output)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"benchmark step failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - start, done.stdout


def _stages(output: str) -> dict[str, float]:
    """The time per stage that ``build --verbose`` printed."""
    return {m[1].strip(): float(m[2]) for m in
            re.finditer(r"^  (.+?)\s+([\d.]+) s(?: \(.*\))?$", output, flags=re.MULTILINE)}


def _shards(output: str) -> str:
    """What ``build --verbose`` said of the search index's shards."""
    said = re.search(r"^  search index: (.+)$", output, flags=re.MULTILINE)
    return said[1] if said else ""


def edit_one_fact(content: Path) -> None:
    """Change the value of the first fact of the first fact file."""
    path = sorted((content / "facts").glob("*.yaml"))[0]
    text = path.read_text(encoding="utf-8")
    match = re.search(r"^ *value: (\d+)$", text, flags=re.MULTILINE)
    path.write_text(text[:match.start(1)] + str(int(match[1]) + 1) + text[match.end(1):],
                    encoding="utf-8")


def add_article(content: Path) -> None:
    """What a contributor does most: add an article to ``sources.yaml`` and, to the
    first fact file, a figure it reports (both SYNTHETIC)."""
    with open(content / "sources.yaml", "a", encoding="utf-8") as sources:
        sources.write("- id: media-sintetis-baru\n  publisher: Media Sintetis Baru\n"
                      "  title: Berita sintetis baru\n  date: '2026-01-15'\n"
                      "  authors: []\n  url: null\n  archive: null\n")
    path = sorted((content / "facts").glob("*.yaml"))[0]
    region = path.stem
    with open(path, "a", encoding="utf-8") as facts:
        facts.write(f"- id: {region}-workforce-2025-baru\n  region: {region}\n"
                    "  programs:\n  - jkk\n  metric: workforce\n  value: 123456\n"
                    "  unit: people\n  period: '2025'\n  status: actual\n  sources:\n"
                    "  - source: media-sintetis-baru\n    quote: Menurut berita sintetis "
                    "baru ini, angkatan kerja pada 2025 sebesar 123.456.\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, default=REGENCIES)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/reportgen-benchmark"))
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results.json")
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()

    # Each step is a new process: it reads reportgen's compiled modules, as an installed
    # reportgen does, rather than compiling them anew (where PYTHONDONTWRITEBYTECODE is
    # set, nothing else would write them; they are written to __pycache__ as Python
    # itself does).
    compileall.compile_dir(ROOT / "reportgen", quiet=1)

    work = args.workdir
    content = work / "content"
    shutil.rmtree(work, ignore_errors=True)
    counts = generate(content, args.regions)
    env = {**os.environ, "REPORTGEN_CACHE": str(work / "cache")}
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    build = ["build", "--content", str(content), "--templates", "templates", *jobs]
    results: dict[str, float] = {}
    spreads: dict[str, tuple[list, str]] = {}  # measure -> (its runs, how they make it)

    seconds, output, memory = run_measured(
        [*build, "--out", str(work / "cold"), "--no-cache", "--verbose"], env)
    results["cold full build"] = seconds
    results["peak memory, cold build (MB)"] = memory
    pages = int(re.search(r"Built (\d+) pages", output)[1])
    stages = _stages(output)

    results["first build with the cache"], _ = run([*build, "--out", str(work / "site")], env)
    results["rebuild, nothing changed"], _ = run([*build, "--out", str(work / "site")], env)
    # The one-fact rebuild is short and the machine's speed varies from minute to
    # minute: it is measured EDITS times (a new edit each time), and its median taken,
    # with the stages of the run that took the median time.
    edits = []
    for _ in range(EDITS):
        edit_one_fact(content)
        edits.append(run([*build, "--out", str(work / "site"), "--verbose"], env))
    seconds, out = sorted(edits)[EDITS // 2]
    results["rebuild, one fact edited"] = seconds
    spreads["rebuild, one fact edited"] = (edits, "median of")
    edit_stages = _stages(out)
    edit_shards = _shards(out)
    rebuilt = re.search(r"Rebuilt (\d+) of", out)
    add_article(content)
    results["rebuild, an article added (a source and a fact citing it)"], out = run(
        [*build, "--out", str(work / "site"), "--verbose"], env)
    article_rebuilt = re.search(r"Rebuilt (\d+) of", out)
    # What `reportgen serve` does after an edit: show the pages, then make the data files
    # and the search index; twice in one process, as a running serve does: the first
    # edit after it started (its build at the start found nothing changed, and it got
    # ready while waiting: reportgen.build.warm_up), then the next one, its charts made
    # in a chart worker, as serve's are.
    # (with the collector set as the command line sets it for `serve` too)
    site = str(work / "site")
    serve = (f"import gc, sys, time; from pathlib import Path;"
             f"sys.path.insert(0, {str(ROOT)!r}); from benchmarks.run import edit_one_fact;"
             f"from reportgen.build import build_site, finish_build, warm_up;"
             f"from reportgen.vega import ChartWorker; charts = ChartWorker();"
             f"from reportgen.cli import GC_YOUNGEST; gc.set_threshold(GC_YOUNGEST, 10, 10)\n"
             f"content, site = Path({str(content)!r}), Path({site!r})\n"
             f"assert build_site(content, Path('templates'), site, charts=charts).mode"
             f" == 'unchanged'\n"
             f"warm_up(content, charts=charts)\n"
             f"for _ in range(2):\n"
             f"    edit_one_fact(content); t = time.perf_counter()\n"
             f"    r = build_site(content, Path('templates'), site, show_first=True,"
             f" charts=charts)\n"
             f"    assert r.search_pending\n"
             f"    shown = time.perf_counter() - t\n"
             f"    assert finish_build(r).done\n"
             f"    print(f'{{shown}} {{time.perf_counter() - t - shown}}')")
    _, serve_out = run_python(serve, env)
    first, second = ([float(x) for x in line.split()] for line in serve_out.split("\n")[-3:-1])
    results["rebuild in serve, one fact edited: pages shown"] = first[0]
    results["... then the data files and the search index"] = first[1]
    results["serve, the next edit: pages shown"] = second[0]
    results["... then its data files and search index"] = second[1]
    results["check (cache warm)"], _ = run(["check", "--content", str(content)], env)
    cold_env = {**env, "REPORTGEN_CACHE": str(work / "empty-cache")}
    results["check (no cache)"], _ = run(["check", "--content", str(content)], cold_env)
    # Last (serve's builds above use the project's templates): a template edit outside
    # what the search index reads (the footer): every page is rendered again, its charts
    # from the cache, and the search bundles are kept.
    templates = work / "templates"
    shutil.copytree(ROOT / "templates", templates)
    footer = templates / "base.html"
    footer.write_text(footer.read_text(encoding="utf-8").replace(
        "Unduh data:", "Unduh semua data:"), encoding="utf-8")
    results["rebuild after a template edit (the footer)"], out = run(
        ["build", "--content", str(content), "--templates", str(templates), *jobs,
         "--out", str(work / "site"), "--verbose"], env)
    template_shards = _shards(out)
    shutil.rmtree(templates)

    print(f"\nreportgen benchmark: {counts['facts']:,} facts, {counts['regions']:,} regions, "
          f"{counts['sources']:,} sources (SYNTHETIC), {pages:,} pages, {os.cpu_count()} cores\n")
    print(f"| measure | result | target |\n|---|---|---|")
    for name, value in results.items():
        unit = "MB" if "MB" in name else "s"
        target = TARGETS.get(name)
        if "MB" in name:
            target_text = "< 1000 MB"
        else:
            target_text = f"< {target:g} s" if target else ""
        if name in spreads:
            runs, how = spreads[name]
            times = sorted(seconds for seconds, _ in runs)
            unit += f" ({how} {len(times)}: {times[0]:,.1f}–{times[-1]:,.1f})"
        print(f"| {name.replace(' (MB)', '')} | {value:,.1f} {unit} | {target_text} |")
    print(f"| pages per second, cold build | {pages / results['cold full build']:,.1f} | |")
    if rebuilt:
        print(f"| pages rendered after one edit | {rebuilt[1]} of {pages:,} | |")
    if edit_shards:
        print(f"| search index after one edit | {edit_shards} | |")
    if article_rebuilt:
        print(f"| pages rendered after an article was added | {article_rebuilt[1]} of "
              f"{pages + 2:,} | |")
    if template_shards:
        print(f"| search index after the template edit | {template_shards} | |")
    for title, timed in (("Cold build", stages), ("Rebuild after one edited fact", edit_stages)):
        print(f"\n{title}, time per stage (wall; 'charts' is CPU time inside rendering):\n")
        for stage, seconds in timed.items():
            print(f"- {stage}: {seconds:,.1f} s")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"counts": counts, "pages": pages, "cores": os.cpu_count(),
                                     "results": results,
                                     "one_fact_rebuilds": [s for s, _ in edits],
                                     "cold_build_stages": stages,
                                     "one_fact_rebuild_stages": edit_stages,
                                     "one_fact_search_shards": edit_shards},
                                    indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
