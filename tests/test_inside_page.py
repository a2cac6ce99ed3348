"""AppTest for Inside the optimizer: the player's arrays (torch's step k), the numbers at the player's step, state,
state_dict save/load, old links, Adam+L2 vs AdamW."""

import json
import uuid
from dataclasses import replace

import numpy as np
import pytest
import torch
from apptest import APP, open_app
from streamlit.testing.v1 import AppTest
from test_explain_latex import _last_value, _number, _rosenbrock_adam_float32
from test_old_links import OLD_LINKS

from optimizers import run
from optimizers.explain import explain
from optimizers.rules.latex import num
from optimizers.specs import EXPLAINED, OPTIMIZERS
from share import decode as decode_link
from share import encode, sanitize
from surfaces import get_surface
from viz.inside import STATE_ROWS, arrow_scales, update_vectors
from viz.player_data import decode


def inside_page(lang="en") -> AppTest:
    return open_app("pages/inside.py", lang)


def player_args(at: AppTest) -> dict:
    """What the page's player receives (the first component; the Adam+L2 vs AdamW pair is the second)."""
    return json.loads(at.get("component_instance")[0].proto.json_args)


def arrays(entry: dict) -> dict[str, np.ndarray]:
    """The run entry's typed arrays as the browser decodes them, (steps[+1], 2) each but the loss and lr."""
    return {name: decode(entry[name], None if name in ("loss", "lr") else (-1, 2)) for name in entry["arrays"]}


def player_event(at: AppTest, cursor: int, show_all: bool = True) -> AppTest:
    """The player paused or stepped at `cursor` (its {"cursor", "show_all"} event), then the rerun."""
    at.session_state["in.chart.player"] = {"cursor": cursor, "show_all": show_all, "id": uuid.uuid4().hex}
    return at.run()


def _adam_on_the_bowl(steps: int) -> dict[str, np.ndarray]:
    """The page's first run (Adam lr 0.1, the bowl from (-2.5, 2), float32) written out in torch: per step k, the
    gradient at θ_{k−1}, exp_avg and exp_avg_sq after step k, and θ_k (row 0: θ_0)."""
    fn = get_surface("bowl", {"condition": 10.0, "rotation": 0.0}).fn
    p = torch.tensor([-2.5, 2.0], dtype=torch.float32, requires_grad=True)
    opt = torch.optim.Adam([p], lr=0.1)
    out = {"grad": [], "exp_avg": [], "exp_avg_sq": [], "theta": [p.detach().clone().numpy()]}
    for _ in range(steps):
        opt.zero_grad()
        fn(p).backward()
        out["grad"].append(p.grad.clone().numpy())
        opt.step()
        out["exp_avg"].append(opt.state[p]["exp_avg"].clone().numpy())
        out["exp_avg_sq"].append(opt.state[p]["exp_avg_sq"].clone().numpy())
        out["theta"].append(p.detach().clone().numpy())
    return {k: np.array(v) for k, v in out.items()}


def test_the_arrows_and_the_state_at_step_k_are_torchs_kth_step():
    at = inside_page()
    assert not at.exception and not at.error
    args = player_args(at)
    assert args["panels"] == ["arrows", "state0", "state1", "state2"] and args["cursor"] == 1
    (entry,) = args["runs"]
    got, torch_loop = arrays(entry), _adam_on_the_bowl(500)
    assert [v["array"] for v in entry["vectors"]] == ["neg_grad", "neg_momentum", "update"]
    assert [s["name"] for s in entry["series"]] == ["exp_avg", "exp_avg_sq", "step_size"]
    for k in (1, 2, 10, 500):  # step k: row k - 1
        np.testing.assert_allclose(got["neg_grad"][k - 1], -torch_loop["grad"][k - 1], rtol=1e-6)
        np.testing.assert_allclose(got["neg_momentum"][k - 1], -torch_loop["exp_avg"][k - 1], rtol=1e-5, atol=1e-9)
        np.testing.assert_array_equal(got["update"][k - 1],
                                      (torch_loop["theta"][k] - torch_loop["theta"][k - 1]).astype(np.float32))
        np.testing.assert_array_equal(got["xy"][k], torch_loop["theta"][k])
        np.testing.assert_allclose(got["state_0"][k - 1], torch_loop["exp_avg"][k - 1], rtol=1e-6)
        np.testing.assert_allclose(got["state_1"][k - 1], torch_loop["exp_avg_sq"][k - 1], rtol=1e-6)
    np.testing.assert_allclose(got["state_2"][0], [0.1 / 2.5, 0.1 / 20], rtol=1e-5)  # Adam's first step: lr / |g|


def test_one_arrow_scale_for_every_step_of_the_run():
    at = inside_page()
    (entry,) = player_args(at)["runs"]
    scales = {v["array"]: v["scale"] for v in entry["vectors"]}
    assert scales["neg_grad"] == scales["neg_momentum"] > 0 and scales["update"] > 0
    for cursor in (0, 37, 500):  # the player's step changes: the arrows and their scales do not
        player_event(at, cursor)
        assert player_args(at)["runs"][0] == entry


def test_a_run_blowing_up_keeps_arrows_one_can_see():
    """SGD lr 0.25 on the bowl (κ = 10): its steps grow ×1.5 each, to 1e5 and beyond; the scales come from the
    steps that start inside the plot, so its first arrows are a visible share of the plot (not 1e-19 of it)."""
    traj = run({"surface": "bowl", "optimizer": "SGD", "hparams": {"lr": 0.25}, "steps": 100})
    (x0, x1), (y0, y1) = bounds = get_surface("bowl").bounds
    vectors = update_vectors(traj, None, None)
    scales = arrow_scales(vectors, traj.xy, bounds)
    assert np.abs(traj.xy[-1]).max() > 1e5 and set(scales) == {"neg_grad", "update"}
    for name, scale in scales.items():
        assert 0.05 < np.hypot(*vectors[name][0]) * scale / np.hypot(x1 - x0, y1 - y0) < 0.5


def test_a_run_converging_in_two_steps_keeps_its_first_arrows_in_the_plot():
    """LBFGS on the bowl: gradients of 20, then of 1e-7; the first arrows still fit the plot's diagonal."""
    traj = run({"surface": "bowl", "optimizer": "LBFGS", "hparams": {"lr": 1}, "steps": 500})
    (x0, x1), (y0, y1) = bounds = get_surface("bowl").bounds
    vectors = update_vectors(traj, None, None)
    scales = arrow_scales(vectors, traj.xy, bounds)
    assert np.hypot(*traj.grad[5]) < 1e-4 < 10 < np.hypot(*traj.grad[0])
    for name, scale in scales.items():
        assert 0.05 < np.hypot(*vectors[name][0]) * scale / np.hypot(x1 - x0, y1 - y0) <= 1


def test_the_numbers_and_the_state_dict_follow_the_players_step():
    traj = run({"surface": "bowl", "optimizer": "Adam", "hparams": {"lr": 0.1}, "steps": 500})
    at = inside_page()
    formulas = [x.value for x in at.latex]
    assert any(r"\hat{m}_t" in f for f in formulas)  # the rule
    assert any("= -2.5" in f for f in formulas)  # step 1's gradient in x on the bowl, at θ_0
    assert any("numbers of step 1:" in m.value for m in at.markdown)
    assert at.expander[0].label == "state_dict() after step 1 (as JSON)"
    for k in (10, 2, 500):
        player_event(at, k)
        assert not at.exception and not at.warning
        assert player_args(at)["cursor"] == k
        assert any(f"numbers of step {k}:" in m.value for m in at.markdown)
        assert at.expander[0].label == f"state_dict() after step {k} (as JSON)"
        assert json.loads(at.expander[0].json[0].value)["step"] == k
        for latex, c in zip(_numbers(at), (0, 1), strict=True):
            assert _delta(latex) == _number(num(traj.update[k - 1][c]))


def test_step_0_is_the_start_with_a_message_and_no_numbers():
    at = player_event(inside_page(), 0)
    assert not at.exception and player_args(at)["cursor"] == 0
    assert not _numbers(at) and not any("numbers of step" in m.value for m in at.markdown)
    assert len(at.info) == 1 and "Step 0 is the start θ₀ = (-2.5, 2)" in at.info[0].value
    assert at.expander[0].label == "state_dict() after step 0 (as JSON)"
    link = at.query_params["c"]
    assert decode_link("inside", link if isinstance(link, str) else link[0])[0]["step"] == -1  # the link keeps it
    again = linked({"surface": "bowl", "steps": 500, "step": -1})
    assert player_args(again)["cursor"] == 0 and len(again.info) == 1


INSIDE_LINKS = [link for link in OLD_LINKS if link["page"] == "inside"]


@pytest.mark.parametrize("link", INSIDE_LINKS, ids=[link["name"] for link in INSIDE_LINKS])
def test_an_old_link_opens_on_the_update_it_showed(link):
    """Old links held the 0-based index of the update shown: they open on the player's step index + 1."""
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({"lang": "en", "c": link["c"]})
    at = at.switch_page("pages/inside.py").run()
    assert not at.exception
    index, state = link["state"]["step"], link["state"]
    assert player_args(at)["cursor"] == index + 1
    assert at.expander[0].label == f"state_dict() after step {index + 1} (as JSON)"
    traj = run({k: state[k] for k in ("surface", "surface_params", "start", "steps")}
               | {k: v for k, v in state["run"].items() if k != "color"})
    for latex, c in zip(_numbers(at), (0, 1), strict=True):
        assert _delta(latex) == _number(num(traj.update[index][c]))


def test_every_optimizers_state_fits_the_players_state_panels():
    for spec in OPTIMIZERS.values():  # torch's charted entries and, with a replay, the effective step size
        assert len(spec.state.charted()) + (spec.replay is not None) <= STATE_ROWS, spec.name


@pytest.mark.parametrize("optimizer", ["SGD", "Momentum", "RMSprop", "Adagrad", "Rprop", "NAdam", "RAdam", "LBFGS"])
def test_every_optimizer_opens(optimizer):
    at = inside_page()
    at.selectbox(key="in.run.optimizer").set_value(optimizer).run()
    assert not at.exception


def _config():
    return {"surface": "bowl", "surface_params": {"condition": 10.0, "rotation": 0.0}, "start": [-2.5, 2.0],
            "steps": 500, "optimizer": "Adam", "hparams": {"lr": 0.1}}


def test_loading_a_saved_state_dict_resumes_identically():
    from optimizers.checkpoint import checkpoint
    at = inside_page()
    saved = json.dumps(checkpoint(_config(), 40)).encode()
    at.file_uploader(key="in.upload").set_value(("state_dict_step40.json", saved, "application/json")).run()
    assert not at.exception
    assert at.success and "identical" in at.success[0].value
    assert run(_config()).xy.shape == (501, 2)


@pytest.mark.parametrize("data", [b"{not json", b'{"step": 3}', "é".encode("latin-1")])
def test_a_bad_state_dict_file_gives_a_message(data):
    at = inside_page()
    at.file_uploader(key="in.upload").set_value(("x.json", data, "application/json")).run()
    assert not at.exception and at.error


def test_adam_l2_vs_adamw():
    at = inside_page()
    at.toggle(key="in.adamw").set_value(True).run()
    assert not at.exception and not at.get("plotly_chart")
    _, pair = [json.loads(c.proto.json_args) for c in at.get("component_instance")]
    assert [r["label"] for r in pair["runs"]] == ["Adam + L2", "AdamW"]  # the pair in the player
    formulas = [x.value for x in at.latex]
    assert any(r"(1 - \gamma \lambda)" in f or r"1 - \gamma\lambda" in f for f in formulas)


def test_chinese():
    at = inside_page("zh")
    assert not at.exception and at.title[0].value == "优化器内部"


def test_lbfgs_numbers_and_the_differing_lines():
    at = inside_page()
    at.selectbox(key="in.run.optimizer").set_value("LBFGS").run()
    assert not at.exception and any(r"d_{last}" in x.value for x in at.latex)
    at.selectbox(key="in.run.optimizer").set_value("Adam").run()
    at.toggle(key="in.adamw").set_value(True).run()
    coloured = [x.value for x in at.latex if r"\color" in x.value]
    assert len(coloured) == 2 and r"\lambda \theta_{t-1}" in coloured[0] and r"\gamma \lambda" in coloured[1]



def linked(state: dict, lang: str = "en") -> AppTest:
    """The Inside page opened from a share link of `state` (surface, steps, run, step)."""
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({"lang": lang, "c": encode("inside", sanitize("inside", state)[0])})
    return at.switch_page("pages/inside.py").run()


def _numbers(at: AppTest) -> list[str]:
    """The two substituted rules (x, y) on the page."""
    return [x.value for x in at.latex if r"\theta_t - \theta_{t-1} &=" in x.value]


def _delta(latex: str) -> float:
    """The last number of the last row: Δθ (st.latex's value is wrapped in $$; a long line's result has a row
    of its own, `&= result`)."""
    body = latex.strip().strip("$").strip().removesuffix(r"\end{aligned}")
    return _last_value(" " + body.rsplit(r"\\", 1)[-1].replace("&=", "="))


ONE_CYCLE = {"surface": "bowl", "steps": 60, "step": 10,
             "run": {"optimizer": "SGD", "hparams": {"lr": 0.01, "momentum": 0.9}, "scheduler": "OneCycleLR",
                     "scheduler_params": {"max_lr": 0.1}}}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_shows_the_cycled_momentum(lang):
    at = linked(ONE_CYCLE, lang)
    assert not at.exception and not at.error and not at.warning
    state = sanitize("inside", ONE_CYCLE)[0]
    traj = run({k: state[k] for k in ("surface", "surface_params", "start", "steps")}
               | {k: v for k, v in state["run"].items() if k != "color"})
    mu = traj.hparams_used["momentum"][10, 0]
    assert num(mu) != num(0.9)
    caption = next(c.value for c in at.caption if "OneCycleLR" in c.value)
    assert f"momentum = {mu:.4g}" in caption and "0.9" in caption
    assert ("configured" if lang == "en" else "配置值") in caption
    for latex, c in zip(_numbers(at), (0, 1), strict=True):
        assert rf"b_t &= {num(mu)} \cdot" in latex
        assert _number(num(traj.update[10][c])) == _delta(latex)


def test_cyclic_lr_on_plain_sgd_shows_the_momentum_rule():
    state = {**ONE_CYCLE, "run": {"optimizer": "SGD", "hparams": {"lr": 0.01}, "scheduler": "CyclicLR",
                                  "scheduler_params": {"base_lr": 0.001, "max_lr": 0.01, "step_size_up": 10}}}
    at = linked(state)
    assert not at.exception and not at.warning
    assert any(r"b_t &= \mu b_{t-1} + g_t" in x.value for x in at.latex)  # the rule: CyclicLR set momentum 0.9
    assert any("momentum = " in c.value and "configured: 0)" in c.value for c in at.caption)


@pytest.mark.parametrize("step", [3, 5, 19])
def test_nadam_at_lr_zero_opens(step):
    """PolynomialLR(total_iters=3) brings lr to 0 from step 4 on (the lr widget itself stops at 1e-5)."""
    run_state = {"optimizer": "NAdam", "hparams": {"lr": 0.05}, "scheduler": "PolynomialLR",
                 "scheduler_params": {"total_iters": 3}}
    at = linked({"surface": "bowl", "steps": 20, "step": step, "run": run_state})
    assert not at.exception and not at.error and not at.warning
    numbers = _numbers(at)
    assert len(numbers) == 2 and all(_delta(latex) == 0 for latex in numbers)
    assert all(r"\hat{m}_t" in latex for latex in numbers)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_explanation_failure_is_a_message_not_a_traceback(monkeypatch, lang):
    def broken(hp, values):
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setitem(EXPLAINED, "Adam", replace(EXPLAINED["Adam"], latex=broken))
    at = inside_page(lang)
    assert not at.exception
    assert len(at.warning) == 1 and "ZeroDivisionError" in at.warning[0].value
    assert ("could not be worked out" if lang == "en" else "无法算出") in at.warning[0].value
    (entry,) = player_args(at)["runs"]  # the path, the update arrow and torch's recorded state are still there
    assert "update" in entry["arrays"] and [s["name"] for s in entry["series"]] == ["exp_avg", "exp_avg_sq"]


ROSENBROCK = {"surface": "rosenbrock", "steps": 300, "run": {"optimizer": "Adam", "hparams": {"lr": 0.001}}}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_float32_delta_theta_is_what_torch_did(lang):
    """Rosenbrock, Adam lr 1e-3, float32: the page's Δθ is torch's change (from a loop written out in torch), and
    where the exact formula gives other digits a note says so."""
    moved = np.diff(_rosenbrock_adam_float32(), axis=0)
    traj = run({"surface": "rosenbrock", "optimizer": "Adam", "hparams": {"lr": 1e-3}, "steps": 300})
    exact = np.array([s.quantities["update"] for s in explain(traj)])
    for step in (0, 1, 150):
        at = linked({**ROSENBROCK, "step": step}, lang)  # the link's 0-based update: the player's step + 1
        assert not at.exception and not at.warning and player_args(at)["cursor"] == step + 1
        numbers = _numbers(at)
        notes = [c.value for c in at.caption if "float32" in c.value]
        for latex, c in zip(numbers, (0, 1), strict=True):
            assert _delta(latex) == _number(num(moved[step][c]))
            if num(exact[step][c]) != num(moved[step][c]):
                assert any(f"${num(moved[step][c])}$" in n and f"${num(exact[step][c])}$" in n for n in notes)
        assert len(notes) == sum(num(exact[step][c]) != num(moved[step][c]) for c in (0, 1))
    assert num(exact[0][1]) != num(moved[0][1])  # step 1's y: the note was shown
