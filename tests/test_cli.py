"""The command line: config JSON in, trajectory CSV/JSON out, clear errors."""

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from optimizers import run

ROOT = Path(__file__).parents[1]


def cli(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "optimizers", *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True)


def test_csv_holds_the_trajectory(tmp_path):
    config = {"surface": "bowl", "steps": 12, "optimizer": "Momentum", "hparams": {"lr": 0.05}}
    path = tmp_path / "homework.json"
    path.write_text(json.dumps(config))
    out = cli(str(path), "-o", str(tmp_path / "out.csv"))
    assert out.returncode == 0, out.stderr
    table = list(csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text())))
    assert len(table) == 13
    traj = run(config)
    xy = np.array([[float(r["x"]), float(r["y"])] for r in table], dtype=np.float32)
    np.testing.assert_array_equal(xy, traj.xy)
    assert table[-1]["lr"] == "" and float(table[0]["lr"]) == 0.05


def test_several_configs_and_starts_as_json():
    configs = [{"surface": "bowl", "steps": 3}, {"surface": "himmelblau", "steps": 4, "start": [[0, 0], [1, 1]]}]
    out = cli("-", "--format", "json", stdin=json.dumps(configs))
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    assert [len(p["xy"]) for p in payload] == [4, 5]
    assert np.array(payload[1]["xy"]).shape == (5, 2, 2)


def test_bad_input_gives_a_message_not_a_traceback(tmp_path):
    out = cli("-", "--lang", "zh", stdin=json.dumps({"optimizer": "Adm"}))
    assert out.returncode == 2 and "未知的优化器" in out.stderr and "Traceback" not in out.stderr
    out = cli("-", stdin="{not json")
    assert out.returncode == 2 and "cannot read" in out.stderr
    out = cli(str(tmp_path / "missing.json"))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    out = cli(str(tmp_path / "missing.json"), "--lang", "zh")
    assert out.returncode == 2 and out.stderr.startswith(f"error: 无法读取 {tmp_path / 'missing.json'}：")


def test_the_output_never_overwrites_the_config(tmp_path):
    path = tmp_path / "homework.json"
    path.write_text(json.dumps({"surface": "bowl", "steps": 3}))
    out = cli(str(path), "-o", str(tmp_path / "." / "homework.json"))
    assert out.returncode == 2 and "config file itself" in out.stderr
    out = cli(str(path), "-o", str(path), "--lang", "zh")
    assert out.returncode == 2 and "就是配置文件本身" in out.stderr
    assert json.loads(path.read_text()) == {"surface": "bowl", "steps": 3}


def test_hostile_json_is_an_error_not_a_traceback():
    for text in ("[" * 100_000, '{"steps": 1' + "0" * 5000 + "}"):
        out = cli("-", stdin=text)
        assert out.returncode == 2 and out.stderr.startswith("error: cannot read -") and "Traceback" not in out.stderr


def test_a_run_the_budget_stopped_says_so(tmp_path):
    config = {"optimizer": "LBFGS", "steps": 10_000,
              "hparams": {"lr": 1e-4, "tolerance_grad": 0.0, "tolerance_change": 0.0, "max_iter": 100,
                          "history_size": 1000}}  # stopped after a few steps
    path = tmp_path / "lbfgs.json"
    path.write_text(json.dumps(config))
    out = cli(str(path), "-o", str(tmp_path / "out.json"))
    assert out.returncode == 0 and "stopped by the cost budget (stopped_at): runs [0]" in out.stderr, out.stderr
    saved = json.loads((tmp_path / "out.json").read_text())
    assert saved["stopped_at"] == run(config).stopped_at and 1 < saved["stopped_at"] < 100
    assert saved["diverged_at"] is None and saved["xy"][saved["stopped_at"]] == [None, None]


def test_network_runs_as_json_and_csv(tmp_path):
    """A network config: its weights and metrics in JSON, its metrics per step in CSV; a diverging one is said."""
    configs = [{"network": {"dataset": "xor", "hidden": [4]}, "steps": 3, "optimizer": "Adam", "hparams": {"lr": 0.01}},
               {"network": {}, "steps": 40, "batch_size": 32, "optimizer": "SGD", "hparams": {"lr": 1000}}]
    out = cli("-", "--format", "json", stdin=json.dumps(configs))
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    np.testing.assert_array_equal(np.array(payload[0]["params"], dtype=np.float32), run(configs[0]).params)
    assert payload[0]["config"]["network"]["hidden"] == [4] and payload[1]["diverged_at"] is not None
    out = cli("-", "-o", str(tmp_path / "runs.json"), stdin=json.dumps(configs))
    assert "diverged: runs [1]" in out.stderr
    saved = json.loads((tmp_path / "runs.json").read_text())
    assert [s["params"] for s in saved] == [p["params"] for p in payload]  # the same runs (their wall times differ)
    out = cli("-", stdin=json.dumps(configs[0]))
    table = list(csv.DictReader(io.StringIO(out.stdout)))
    np.testing.assert_array_equal(np.array([r["loss"] for r in table], dtype=np.float32),
                                  run(configs[0]).loss.astype(np.float32))  # float32 cells read back exactly
