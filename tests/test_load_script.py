"""bench/load.py drives real sessions over Streamlit's websocket protocol: it runs, and reports no errors.

Functional only: the latencies it prints are checked to be there, never against a time.
"""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def figures(out: str) -> dict[str, str]:
    return dict(re.findall(r"^(\w+): (.+)$", out, re.M))


def test_two_sessions_change_steps_and_a_learning_rate(app_url):
    out = subprocess.run([sys.executable, "bench/load.py", "--url", app_url, "--sessions", "2", "--changes", "2",
                          "--distinct", "--think", "0", "--ramp", "0.5", "--timeout", "120"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    got = figures(out.stdout)
    assert got["errors"].startswith("0 errors"), out.stdout + out.stderr
    assert got["page_loads"].startswith("2 runs")
    assert got["reruns"].startswith("4 reruns (2 steps changes"), got["reruns"]
    for name in ("page_load_p50", "rerun_p50", "rerun_p95", "rerun_max", "rerun_steps_p50", "rerun_lr_p50"):
        assert re.fullmatch(r"\d+\.\d+ s.*", got[name]), (name, got.get(name))
    assert re.fullmatch(r"\d+ MB.*", got["server_rss_peak"]), out.stdout  # the server listens on this machine
    assert re.fullmatch(r"\d+ MB.*", got["server_pss_peak"]), out.stdout
