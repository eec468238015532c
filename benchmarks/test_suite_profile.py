"""The test suite's wall time and peak memory, in one process and on every core, with its slowest tests.

Usage: python benchmarks/test_suite_profile.py [WORKERS ...] (Default: 0 and auto; 0 is one process). Each run is
``python -m pytest -n WORKERS`` as ``make unit`` runs it; peak memory is the largest sum of the resident sets of
the process tree (pytest, its workers, their jsii Node kernels and the processes tests start), sampled every
100 ms from /proc. Prints a table, then each run's ten slowest tests.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from synth_benchmark import tree_rss_bytes

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_S = 0.1
SLOWEST = 10
SUMMARY = re.compile(r"^=* ?(\d+ (?:passed|failed).* in [\d.]+s.*?) ?=*$", re.MULTILINE)


def profile(workers: str) -> dict[str, object]:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--durations={SLOWEST}"]
    command += ["-n", workers, "--maxprocesses", "4", "--dist", "loadscope"]
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss_bytes(process.pid))
        time.sleep(SAMPLE_S)
    output = process.stdout.read() if process.stdout else ""
    seconds = time.perf_counter() - start
    summary = SUMMARY.findall(output)
    slowest = output.split("slowest", 1)[1].splitlines()[1 : SLOWEST + 1] if "slowest" in output else []
    return {
        "workers": workers,
        "seconds": seconds,
        "peak_mb": peak / 2**20,
        "summary": summary[-1] if summary else f"exit code {process.returncode}",
        "slowest": slowest,
    }


def main() -> None:
    runs = [profile(workers) for workers in (sys.argv[1:] or ["0", "auto"])]
    print("| workers | wall time (s) | peak memory (MB) | result |")
    print("|---|---|---|---|")
    for run in runs:
        print(f"| {run['workers']} | {run['seconds']:.0f} | {run['peak_mb']:,.0f} | {run['summary']} |")
    for run in runs:
        print(f"\nSlowest tests, {run['workers']} workers:")
        for line in run["slowest"]:  # type: ignore[attr-defined]
            print(f"  {line}")


if __name__ == "__main__":
    main()
