"""Synth time and peak memory: this library vs aws-cdk's sagemaker-alpha vs bare L1, N = 1, 10, 50 endpoints,
without and with target-tracking scaling (the library also without its instance-type-change guard); then the
library's fully featured endpoint (resources and template KB per endpoint, one stack) and a hundred of them
spread over stacks (`EndpointStacks`).

Each measurement is a whole process (`python bench_app.py ...`, which also starts the jsii Node
kernel), run alternately library / alpha / L1 so machine noise hits all alike; the table shows medians.
Peak memory is the largest sum of the resident sets of the process tree (Python + Node), sampled
every 10 ms from /proc. Targets, with and without scaling: library <= alpha at every N; library/L1 <= 1.3 at
every N. The cost of importing the library is measured on its own line: `python -c "import aws_cdk"` vs
importing the library.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = (1, 10, 50)
KINDS = ("library", "alpha", "l1")
SHAPES = ("", "+scaling")
UNGUARDED = "library+scaling-unguarded"  # guard_instance_type_changes=False, beside the +scaling runs
FULL_SIZES = (1, 10, 25)
FLEET_SIZE = 100
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")  # for the processes it starts
SAMPLE_S = 0.01
TARGET_RATIO = 1.3


def tree_rss_bytes(root: int) -> int:
    """Resident set of ``root`` and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                parents[int(entry.name)] = int(fields[1])
            except (OSError, IndexError):
                continue
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    total = 0
    for pid in tree:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total


def measure(kind: str, count: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as outdir:
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, str(HERE / "bench_app.py"), kind, str(count), outdir])
        if kind == "import":
            process.wait()
            return {"seconds": time.perf_counter() - start}
        peak = 0
        while process.poll() is None:
            peak = max(peak, tree_rss_bytes(process.pid))
            time.sleep(SAMPLE_S)
        seconds = time.perf_counter() - start
        if process.returncode != 0:
            raise SystemExit(f"{kind} N={count} failed with exit code {process.returncode}")
        paths = sorted(Path(outdir).glob("*.template.json"))
        counts = [len(json.loads(path.read_text())["Resources"]) for path in paths]
        return {
            "seconds": seconds,
            "peak_mb": peak / 2**20,
            "resources": sum(counts),
            "bytes": sum(path.stat().st_size for path in paths),
            "stacks": len(paths),
            "largest_stack": max(counts),
        }


def print_row(key: tuple[str, int], runs: list[dict[str, float]], ratio: float | None) -> None:
    kind, count = key
    seconds = statistics.median(run["seconds"] for run in runs)
    shown_ratio = "" if ratio is None else f"{ratio:.2f}"
    print(
        f"| {count} | {kind} | {seconds:.2f} | {statistics.median(r['peak_mb'] for r in runs):.0f} | "
        f"{runs[0]['resources'] / count:.1f} | {runs[0]['bytes'] / count:,.0f} | {shown_ratio} |"
    )


def import_seconds() -> tuple[float, float]:
    """Median seconds of a process that imports aws_cdk only, and of one that imports this library."""
    bare, library = [], []
    for _ in range(REPEATS):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import aws_cdk"], check=True)
        bare.append(time.perf_counter() - start)
        library.append(measure("import", 0)["seconds"])
    return statistics.median(bare), statistics.median(library)


def main() -> None:
    results: dict[tuple[str, int], list[dict[str, float]]] = {}
    for shape in SHAPES:
        for count in SIZES:
            for _ in range(REPEATS):
                for kind in [kind + shape for kind in KINDS] + ([UNGUARDED] if shape else []):
                    results.setdefault((kind, count), []).append(measure(kind, count))
    for count in FULL_SIZES:
        results[("full", count)] = [measure("full", count) for _ in range(REPEATS)]
    results[("fleet", FLEET_SIZE)] = [measure("fleet", FLEET_SIZE) for _ in range(REPEATS)]
    bare_import, library_import = import_seconds()
    print(f"Whole-process synth, medians of {REPEATS} alternating runs (validation off), {os.cpu_count()} cores")
    header = (
        "| N | kind | time (s) | peak memory (MB) | resources / endpoint | template bytes / endpoint | time ratio |"
    )
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    median = {key: statistics.median(run["seconds"] for run in runs) for key, runs in results.items()}
    for shape in SHAPES:
        for count in SIZES:
            for kind in [kind + shape for kind in KINDS] + ([UNGUARDED] if shape else []):
                key = (kind, count)
                print_row(key, results[key], median[key] / median[("l1" + shape, count)])
    for key, runs in results.items():
        if key[0] in ("full", "fleet"):
            print_row(key, runs, None)
    fleet = results[("fleet", FLEET_SIZE)][0]
    print(
        f"\nFleet: {FLEET_SIZE} fully featured endpoints in {fleet['stacks']:.0f} stacks, the largest of "
        f"{fleet['largest_stack']:.0f} resources; full, one stack of {FULL_SIZES[-1]}: "
        f"{results[('full', FULL_SIZES[-1])][0]['largest_stack']:.0f} resources"
    )
    for shape in SHAPES:
        for count in SIZES:
            library, alpha, bare = (median[(kind + shape, count)] for kind in KINDS)
            ratio = library / bare
            print(
                f"N={count}{shape}: library/L1 = {ratio:.2f} ({'meets' if ratio <= TARGET_RATIO else 'misses'} "
                f"<= {TARGET_RATIO}); library {'<=' if library <= alpha else '>'} alpha ({library:.2f} s vs "
                f"{alpha:.2f} s: {'meets' if library <= alpha else 'misses'})"
            )
    for count in SIZES:
        unguarded, alpha, bare = (median[(kind, count)] for kind in (UNGUARDED, "alpha+scaling", "l1+scaling"))
        print(
            f"N={count}+scaling, unguarded: library/L1 = {unguarded / bare:.2f}; library "
            f"{'<=' if unguarded <= alpha else '>'} alpha ({unguarded:.2f} s vs {alpha:.2f} s)"
        )
    print(
        f"Import: aws_cdk alone {bare_import:.2f} s, with cdk_sagemaker_inference {library_import:.2f} s "
        f"(+{library_import - bare_import:.2f} s)"
    )


if __name__ == "__main__":
    main()
