"""The customer's circle (docs/SPEC.md §9) against an independent
implementation of the SPEC: bench/circle_check.py, written from the SPEC's
text alone (not from sql/ or src/circle*), recomputes social_circle and
circle_prospects from the raw inputs (handle map, deduplicated mentions in
the window, @-handles in texts, connections, own handles, PageRank in
integers, circles, ranks; only value_score is taken from pulsetier's
customer_tiers) and compares every row and column, doubles bit for bit.

The inputs are `pulsetier generate`'s messy synthetic data (spellings of
handles, redelivered and invalid rows, e-mail addresses and the operator's
own handle in texts, a connections table with bad kinds), small enough for
the debug build.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pulsetier_cli import as_text, clean_env, pulsetier_bin

REPO_ROOT = Path(__file__).resolve().parents[2]
CHECK = REPO_ROOT / "bench" / "circle_check.py"
DATE = "2026-03-10"
TIMEOUT_S = 600


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=REPO_ROOT, env=clean_env(), capture_output=True,
                          text=True, timeout=TIMEOUT_S)


def _generated_run(tmp_path: Path, accounts: int, seed: int, config: str) -> tuple[Path, Path]:
    inp, out, cfg = tmp_path / "in", tmp_path / "out", tmp_path / "pulsetier.toml"
    cfg.write_text(config)
    gen = _run(str(pulsetier_bin()), "generate", "--output", str(inp), "--accounts",
               str(accounts), "--date", DATE, "--seed", str(seed))
    assert gen.returncode == 0, as_text(gen.stderr)
    run = _run(str(pulsetier_bin()), "run", "--date", DATE, "--input", str(inp),
               "--output", str(out), "--config", str(cfg))
    assert run.returncode == 0, as_text(run.stderr)
    return inp, out


def _check(inp: Path, out: Path, *extra: str) -> str:
    proc = _run(sys.executable, str(CHECK), "--input", str(inp), "--output", str(out),
                "--date", DATE, *extra)
    report = as_text(proc.stdout) + as_text(proc.stderr)
    assert proc.returncode == 0, report
    return report


def test_generated_circle_matches_an_independent_implementation(tmp_path):
    inp, out = _generated_run(tmp_path, 4000, 7, '[circle]\nown_handles = ["Operator"]\n')
    report = _check(inp, out, "--own-handles", "Operator")
    assert "IDENTICAL" in report
    # not a comparison of two empty tables
    assert "== social_circle: mine 0 rows" not in report
    assert "== circle_prospects: mine 0 rows" not in report


def test_with_the_network_provider_and_other_settings(tmp_path):
    config = ('[circle]\nown_handles = ["@Operator"]\niterations = 3\n'
              'prospect_min_customers = 1\n[windows]\ncircle_days = 10\nmentions_days = 7\n'
              '[influence]\nnetwork_provider = true\n')
    inp, out = _generated_run(tmp_path, 3000, 11, config)
    report = _check(inp, out, "--own-handles", "@Operator", "--iterations", "3",
                    "--prospect-min-customers", "1", "--circle-days", "10",
                    "--mentions-days", "7")
    assert "IDENTICAL" in report
