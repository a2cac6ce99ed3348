"""The guided lessons: well-formed data, states that open as valid engine runs, and every claim true.

Each lesson's page state is turned into engine configs the way its page does it
(`engine_configs`), run with the real engine, and checked against what the
explanation says — its numbers included (`mentions` ties a number in the text to
the value the test computed).
"""

import json
import math
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import torch

import share
from lessons import LESSONS, PAGES, Lesson
from optimizers import lr_curve, normalize, run_many
from optimizers.metrics import nearest_minimum
from optimizers.network import build_model, data_of
from pagestate.network import network
from surfaces import get_surface
from surfaces.regression import conditioning, least_squares
from texts import CATALOGUES
from ui.swarm import grid_starts
from viz import PALETTE

ROOT = Path(__file__).parents[1]
IDS = list(LESSONS)
CJK = re.compile(r"[\u4e00-\u9fff]")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MODES = {"full": "batch", "mini": "mini", "single": 1}
BASE_LRS = sorted(m * 10.0 ** k for k in range(-4, 1) for m in (1, 2, 5) if m * 10.0 ** k <= 1)  # the LR page's grid

# Page defaults for keys a lesson leaves out (what each page shows with no clicks).
PLAYGROUND_RUNS = [{"optimizer": "SGD", "hparams": {"lr": 0.001}}, {"optimizer": "Momentum", "hparams": {"lr": 0.001}},
                   {"optimizer": "RMSprop", "hparams": {"lr": 0.01}}, {"optimizer": "Adam", "hparams": {"lr": 0.05}}]


# ---- state -> engine configs, as the pages build them ----

def _engine_run(run: dict) -> dict:
    return {k: v for k, v in run.items() if k != "color"}


def engine_configs(lesson: Lesson) -> list[dict]:
    """The engine configs the lesson's page runs for its state (one per run, mode or scheduler)."""
    s = lesson.state
    if lesson.page == "playground":
        surface, params = s.get("surface", "rosenbrock"), s.get("surface_params", {})
        base = {"surface": surface, "surface_params": params, "steps": s.get("steps", 500)}
        runs = s.get("runs") or PLAYGROUND_RUNS
        if s.get("mode", "race") == "swarm":
            starts = grid_starts(get_surface(surface, params), s.get("grid", 24))
            return [{**base, "start": starts, **_engine_run(runs[0])}]
        return [{**base, "start": s.get("start"), **_engine_run(r)} for r in runs]
    if lesson.page == "regression":
        params = {**(s.get("data") or {}), "standardize": s.get("standardize", False)}
        n = get_surface("linear_regression", params).n_samples
        sizes = {"full": None, "mini": s.get("batch_size", min(4, n)), "single": 1}
        run = s.get("run", {"optimizer": "SGD", "hparams": {"lr": 0.01}})
        return [{"surface": "linear_regression", "surface_params": params, "start": s.get("start"),
                 "steps": s.get("steps", 200), **_engine_run(run), "batch_size": sizes[mode],
                 "seed": s.get("seed", 0), "lr_multipliers": s.get("lr_multipliers")}
                for mode in s.get("modes", list(sizes))]
    if lesson.page == "schedules":
        plain = {"surface": s.get("surface", "bowl"), "surface_params": s.get("surface_params", {}),
                 "start": s.get("start"), "steps": s.get("steps", 100), "optimizer": s.get("optimizer", "SGD"),
                 "hparams": {**s.get("hparams", {}), "lr": s.get("lr", 0.1)}}
        schedulers = s.get("schedulers", {"StepLR": {}, "CosineAnnealingLR": {}})
        return [plain, *({**plain, "scheduler": name, "scheduler_params": params}
                         for name, params in schedulers.items())]
    if lesson.page == "network":
        state = share.sanitize("network", s)[0]
        return [{"network": network(state), "steps": state["steps"], "batch_size": state["batch_size"],
                 "seed": state["seed"], **_engine_run(run)} for run in state["runs"]]
    assert lesson.page == "inside"
    run = s.get("run", {"optimizer": "Adam", "hparams": {"lr": 0.1}})
    return [{"surface": s.get("surface", "bowl"), "surface_params": s.get("surface_params", {}),
             "start": s.get("start"), "steps": s.get("steps", 500), **_engine_run(run)}]


@cache
def trajectories(lesson_id: str) -> tuple:
    return tuple(run_many(engine_configs(LESSONS[lesson_id])))


def variant(lesson_id: str, index: int = 0, **changes) -> dict:
    """One of the lesson's configs with some keys changed (for the 'try this' claims)."""
    return {**engine_configs(LESSONS[lesson_id])[index], **changes}


# ---- helpers for the claims ----

def mentions(lesson: Lesson, *snippets: str, langs: tuple[str, ...] = ("en", "zh")) -> None:
    """The explanation states these values (as the test computed them), in English and Chinese."""
    for snippet in snippets:
        for lang in langs:
            assert snippet in lesson.text("explanation", lang), f"{lesson.id}: {snippet!r} not in the {lang} text"


def signed(value: float, fmt: str = "g") -> str:
    """A number as the texts print it: a true minus sign."""
    return format(value, fmt).replace("-", "−")


def decay_rate(series: np.ndarray) -> float:
    """Per-step factor of an oscillation's envelope: a log-linear fit through the peaks of |series|."""
    a = np.abs(np.asarray(series, dtype=float))
    peaks = [i for i in range(1, len(a) - 1) if a[i] >= a[i - 1] and a[i] >= a[i + 1] and a[i] > 0]
    assert len(peaks) >= 3, "not an oscillation"
    return float(np.exp(np.polyfit(peaks, np.log(a[peaks]), 1)[0]))


def hessian(surface_key: str, params: dict, at=(0.0, 0.0)) -> np.ndarray:
    fn = get_surface(surface_key, params).fn
    return torch.autograd.functional.hessian(fn, torch.tensor(at, dtype=torch.float64)).numpy()


def gradient(surface_key: str, params: dict, at=(0.0, 0.0)) -> np.ndarray:
    p = torch.tensor(at, dtype=torch.float64, requires_grad=True)
    get_surface(surface_key, params).fn(p).backward()
    return p.grad.numpy()


def first(condition: np.ndarray) -> int | None:
    hits = np.flatnonzero(condition)
    return int(hits[0]) if len(hits) else None


def distance(xy: np.ndarray, point) -> np.ndarray:
    return np.linalg.norm(np.asarray(xy) - np.asarray(point, dtype=float), axis=-1)


def adam_ratio(traj, betas=(0.9, 0.999), eps=1e-8) -> np.ndarray:
    """m̂ / (√v̂ + ε) at every step, from the recorded state."""
    t = np.arange(1, traj.steps + 1)[:, None]
    m_hat = traj.state["exp_avg"] / (1 - betas[0] ** t)
    v_hat = traj.state["exp_avg_sq"] / (1 - betas[1] ** t)
    return m_hat / (np.sqrt(v_hat) + eps)


def basin_labels(surface, xy_final: np.ndarray) -> np.ndarray:
    """The minimum each start ended at, as the swarm page labels it (−1: none)."""
    (x0, x1), (y0, y1) = surface.bounds
    labels = nearest_minimum(xy_final, surface.minima, 0.02 * float(np.hypot(x1 - x0, y1 - y0)))
    labels[~np.isfinite(xy_final).all(-1)] = -1
    return labels


# ---- the data ----

def test_enough_lessons_with_unique_slugs():
    assert len(LESSONS) >= 12
    assert len({lesson.id for lesson in LESSONS.values()}) == len(LESSONS)
    for key, lesson in LESSONS.items():
        assert key == lesson.id and SLUG.match(key), key


def test_required_topics_are_covered():
    pages = {lesson.page for lesson in LESSONS.values()}
    assert pages == set(PAGES)
    for needed in ("saddle-escape", "lr-too-large", "momentum-overshoot", "zigzag-valley", "adagrad-stalls",
                   "adam-first-step", "adam-l2-vs-adamw", "step-vs-cosine", "minibatch-noise", "lbfgs-few-steps"):
        assert needed in LESSONS


def test_lessons_module_does_not_import_streamlit():
    code = "import sys, lessons; assert 'streamlit' not in sys.modules, 'lessons imports streamlit'"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


@pytest.mark.parametrize("lesson_id", IDS)
def test_texts(lesson_id):
    lesson = LESSONS[lesson_id]
    for field in ("title", "question", "explanation"):
        en, zh = lesson.text(field, "en"), lesson.text(field, "zh")
        assert en.strip() and zh.strip(), field
        assert CJK.search(zh), f"{field}_zh has no Chinese"
        assert not CJK.search(en), f"{field}_en has Chinese"
        assert en == CATALOGUES["en"][f"lesson.{lesson_id}.{field}"]
        assert zh == CATALOGUES["zh"][f"lesson.{lesson_id}.{field}"]
    assert lesson.text("title", "fr") == lesson.text("title", "en")
    with pytest.raises(ValueError):
        lesson.text("summary", "en")
    assert lesson.text("question", "en").startswith("Predict before you press ▶: ")
    assert lesson.text("question", "zh").startswith("按 ▶ 之前先预测：")
    explanation_en, explanation_zh = lesson.text("explanation", "en"), lesson.text("explanation", "zh")
    en_sentences = len(re.findall(r"[.!?](?=\s+[A-Z`$(“]|\s*$)", explanation_en))
    zh_sentences = len(re.findall(r"[。！？]", explanation_zh))
    assert 2 <= en_sentences <= 5 and 2 <= zh_sentences <= 5, (en_sentences, zh_sentences)
    for text in (explanation_en, explanation_zh):
        assert text.count("$") % 2 == 0, "unbalanced $…$"


def test_catalogues_hold_exactly_the_lessons_texts():
    for catalogue in CATALOGUES.values():
        keys = {key for key in catalogue if key.count(".") == 2 and key.startswith("lesson.")}
        assert keys == {f"lesson.{i}.{field}" for i in IDS for field in ("title", "question", "explanation")}


@pytest.mark.parametrize("lesson_id", IDS)
def test_state_format(lesson_id):
    lesson = LESSONS[lesson_id]
    s = lesson.state
    assert lesson.page in PAGES
    known = set(share.default_state(lesson.page))  # the fields the page's link reader knows
    assert set(s) <= known, set(s) - known
    assert json.loads(json.dumps(s)) == s, "the state must survive a share link (JSON)"
    runs = s.get("runs", []) if lesson.page in ("playground", "network") else [s["run"]] if "run" in s else []
    for run in runs:
        assert set(run) <= set(share.default_state(lesson.page if "runs" in s else "playground")["runs"][0])
        assert "optimizer" in run
        assert run.get("color", PALETTE[0]) in PALETTE
    if lesson.page == "playground":
        assert s.get("mode", "race") in ("race", "swarm")
        assert 1 <= len(runs) <= 6
        assert 4 <= s.get("grid", 24) <= 64
        assert s.get("view", "contour") in ("contour", "3d")
        if s.get("mode") == "swarm":
            assert len(runs) == 1, "swarm mode runs one optimizer"
    if lesson.page == "regression":
        assert set(s.get("modes", MODES)) <= set(MODES) and s.get("modes", ["full"])
    if lesson.page == "schedules":
        assert 1 <= len(s["schedulers"]) <= 4
        assert s.get("lr", 0.1) in BASE_LRS, "the base LR must be on the page's 1-2-5 grid"
        assert "lr" not in s.get("hparams", {}), "the page sets lr from the base LR"
    if lesson.page == "inside":  # its question is asked before the first update: the page opens at the start
        assert s.get("step", 0) == -1, "an Inside lesson opens at the start, before the step its question asks about"
    for config in engine_configs(lesson):
        assert config["steps"] <= 1000, "lessons must open fast"


@pytest.mark.parametrize("lesson_id", IDS)
def test_configs_are_valid_and_run(lesson_id):
    configs = engine_configs(LESSONS[lesson_id])
    assert configs
    for config in configs:
        normalize(config)
    for traj, config in zip(trajectories(lesson_id), configs, strict=True):
        assert traj.steps == config["steps"]


# ---- the claims, one function per lesson ----

CLAIMS = {}


def claim(lesson_id: str):
    def register(fn):
        CLAIMS[lesson_id] = fn
        return fn
    return register


def test_every_lesson_has_a_claim_test():
    assert set(CLAIMS) == set(LESSONS)


@pytest.mark.parametrize("lesson_id", IDS)
def test_claims(lesson_id):
    CLAIMS[lesson_id](LESSONS[lesson_id], trajectories(lesson_id))


@claim("lr-too-large")
def _(lesson, runs):
    params = lesson.state["surface_params"]
    lam = np.linalg.eigvalsh(hessian("bowl", params))
    assert np.allclose(lam, [1, 10])
    bound = 2 / lam[-1]
    mentions(lesson, f"2/{lam[-1]:g} = {bound:g}")
    lrs = [r.config["hparams"]["lr"] for r in runs]
    assert lrs[0] <= bound / 2 and 0.9 * bound < lrs[1] < bound < lrs[2] < 1.1 * bound  # well below, just below/above
    for traj, lr in zip(runs, lrs, strict=True):
        factor = 1 - lr * lam[-1]
        y = traj.xy[:21, 1]
        assert np.allclose(y[1:] / y[:-1], factor, rtol=1e-4)
        mentions(lesson, signed(round(factor, 2)))
    smooth, wobbly, wild = runs
    for traj in (smooth, wobbly):
        assert traj.diverged_at is None and traj.loss[-1] < 1e-6
    assert np.all(np.sign(wobbly.xy[1:51, 1]) == -np.sign(wobbly.xy[:50, 1]))  # flips at every step
    assert np.all(np.abs(wild.xy[1:50, 1]) > 1.09 * np.abs(wild.xy[:49, 1]))  # each bounce 10% larger
    mentions(lesson, "10%", str(wild.steps))
    assert wild.diverged_at is not None and wild.diverged_at < wild.steps
    assert not np.isfinite(wild.loss[-1])


@claim("saddle-escape")
def _(lesson, runs):
    sgd, momentum, adam = runs
    lr = sgd.config["hparams"]["lr"]
    assert np.allclose(gradient("saddle", {}, (0.7, -0.3)), [1.4, 0.6])  # (2x, −2y)
    x, y = sgd.xy[:, 0], sgd.xy[:, 1]
    assert np.allclose(x[1:] / x[:-1], 1 - 2 * lr, rtol=1e-5) and np.allclose(y[1:] / y[:-1], 1 + 2 * lr, rtol=1e-5)
    mentions(lesson, f"= {1 - 2 * lr:g}", f"= {1 + 2 * lr:g}")
    assert sgd.steps == 90 and abs(x[-1] - (-0.24)) < 0.01 and abs(y[-1] - 0.006) < 5e-4
    mentions(lesson, "90 ", "−0.24", f"{y[0]:g}", "0.006")
    assert np.linalg.norm(sgd.grad[-1]) < 0.2 * np.linalg.norm(sgd.grad[0])  # crawling into a vanishing gradient
    mu = momentum.config["hparams"]["momentum"]
    b = 1 + mu + 2 * lr  # y-dynamics of torch's momentum: r² − (1 + μ + 2·lr)·r + μ = 0
    growth = (b + math.sqrt(b * b - 4 * mu)) / 2
    mentions(lesson, f"{growth:.3f}")
    ym = np.abs(momentum.xy[:, 1])
    assert abs((ym[70] / ym[40]) ** (1 / 30) - growth) < 0.002
    assert 65 <= first(ym > 1) <= 75
    assert abs(adam.xy[-1, 1]) > 1 and np.isclose(abs(adam.update[0, 1]), lr, rtol=1e-3)
    # exactly on the ridge nobody leaves
    on_ridge = run_many([variant(lesson.id, i, start=[-1.5, 0.0]) for i in range(3)])
    for traj in on_ridge:
        assert np.all(traj.xy[:, 1] == 0)


@claim("momentum-overshoot")
def _(lesson, runs):
    assert np.allclose(np.linalg.eigvalsh(hessian("bowl", lesson.state["surface_params"])), [1, 1])
    sgd, mild, heavy, heavier = runs
    lr = sgd.config["hparams"]["lr"]
    d = {id(t): distance(t.xy, (0, 0)) for t in runs}
    assert np.allclose(d[id(sgd)][1:51] / d[id(sgd)][:50], 1 - lr, rtol=1e-5)
    assert np.all(sgd.xy[:, 0] < 0) and np.all(sgd.xy[:, 1] > 0)  # never passes the minimum
    mentions(lesson, f"= {1 - lr:g}")
    past = d[id(heavy)][heavy.xy[:, 0] > 0]
    assert past.max() > 1  # shoots more than 1 past the minimum
    for traj in (heavy, heavier):
        mu = traj.config["hparams"]["momentum"]
        assert abs(decay_rate(traj.xy[:, 0]) - math.sqrt(mu)) < 0.005
    mentions(lesson, f"{math.sqrt(0.9):.2f}", f"{math.sqrt(0.99):.3f}")
    assert d[id(heavy)][-1] > 100 * d[id(sgd)][-1]
    assert d[id(heavier)][-1] > 1
    assert d[id(mild)][-1] < d[id(sgd)][-1] / 1000
    critical = (1 - math.sqrt(lr * 1.0)) ** 2
    assert abs(critical - mild.config["hparams"]["momentum"]) < 0.05
    mentions(lesson, f"{critical:.2f}")


@claim("nesterov-look-ahead")
def _(lesson, runs):
    momentum, nesterov = runs
    lr, mu = nesterov.config["hparams"]["lr"], nesterov.config["hparams"]["momentum"]
    assert nesterov.config["hparams"]["nesterov"] and not momentum.config["hparams"]["nesterov"]
    # torch's rules, from the recorded buffer: Δθ = −lr·b (momentum), Δθ = −lr·(g + μb) (Nesterov)
    assert np.allclose(momentum.update, -lr * momentum.state["momentum_buffer"], atol=1e-6)
    assert np.allclose(nesterov.update, -lr * (nesterov.grad + mu * nesterov.state["momentum_buffer"]), atol=1e-6)
    for axis in (0, 1):
        assert abs(decay_rate(momentum.xy[:, axis]) - math.sqrt(mu)) < 0.005
    for axis, lam in ((0, 1.0), (1, 10.0)):
        expected = math.sqrt(mu * (1 - lr * lam))
        assert abs(decay_rate(nesterov.xy[:, axis]) - expected) < 0.005
        mentions(lesson, f"{expected:.2f}")
    mentions(lesson, f"{math.sqrt(mu):.2f}")
    assert np.abs(nesterov.xy[:, 1]).max() <= np.abs(momentum.xy[:, 1]).max()
    assert np.abs(nesterov.xy[5:, 1]).max() < 0.5 * np.abs(momentum.xy[5:, 1]).max()  # swings less across y
    assert distance(nesterov.xy[-1], (0, 0)) * 10 < distance(momentum.xy[-1], (0, 0))


@claim("zigzag-valley")
def _(lesson, runs):
    sgd, adagrad, rmsprop, adam = runs
    lam_max = np.linalg.eigvalsh(hessian("bowl", lesson.state["surface_params"]))[-1]
    lr = sgd.config["hparams"]["lr"]
    mentions(lesson, f"2/{lam_max:g} = {2 / lam_max:g}", f"= {round(1 - lr * lam_max, 2):g}$", f"{100 * lr:g}%")
    assert lr < 2 / lam_max
    y = sgd.xy[:41, 1]
    assert np.all(np.sign(y[1:]) == -np.sign(y[:-1]))  # the zig-zag
    assert np.allclose(sgd.xy[1:, 0] / sgd.xy[:-1, 0], 1 - lr, rtol=1e-5)
    assert sgd.loss[-1] > 1e-3 and sgd.steps == 200
    for traj in (adagrad, rmsprop):
        assert first(traj.loss < 1e-3) <= 40
        y = traj.xy[:41, 1]
        assert np.all(y > 0) and np.all(np.diff(y) <= 0)  # straight down, no zig-zag
    assert 70 <= first(adam.loss < 1e-3) <= 95
    # scale-free along the axes: the same paths for κ = 1
    round_bowl = run_many([variant(lesson.id, i, surface_params={"condition": 1.0, "rotation": 0.0})
                           for i in (1, 2, 3)])
    for narrow, wide in zip((adagrad, rmsprop, adam), round_bowl, strict=True):
        assert np.abs(narrow.xy - wide.xy).max() < 1e-3
    # ... but not once the valley is rotated
    rotated = run_many([variant(lesson.id, i, surface_params={"condition": 100.0, "rotation": 30.0})
                        for i in range(4)])
    mentions(lesson, "30°")
    sgd_end = distance(rotated[0].xy[-1], (0, 0))
    for traj in rotated[1:]:
        assert distance(traj.xy[-1], (0, 0)) > sgd_end


@claim("adagrad-stalls")
def _(lesson, runs):
    (traj,) = runs
    lr, eps = traj.config["hparams"]["lr"], traj.config["hparams"]["eps"]
    total = traj.state["sum"]
    assert np.all(np.diff(total, axis=0) >= 0)
    step_size = lr / (np.sqrt(total) + eps)
    assert np.all(np.diff(step_size, axis=0) <= 0)
    g0 = traj.grad[0]
    assert np.allclose(g0, [-155, -50], atol=0.5)
    assert "(−155, −50)" in lesson.text("question", "en") and "(−155, −50)" in lesson.text("question", "zh")
    assert np.allclose(np.abs(traj.update[0]), lr, rtol=1e-5)  # the first step is exactly lr
    cap = lr / np.abs(g0)
    assert np.all(step_size <= cap * (1 + 1e-6))
    mentions(lesson, f"{lr:g}/155 ≈ {cap[0]:.2g}", f"{lr:g}/50 = {cap[1]:.1g}")
    d_adagrad = distance(traj.xy[-1], (1, 1))
    assert traj.steps == 500 and d_adagrad > 2
    rmsprop, adam = run_many([variant(lesson.id, optimizer=name) for name in ("RMSprop", "Adam")])
    assert distance(rmsprop.xy[-1], (1, 1)) < d_adagrad
    assert distance(adam.xy[-1], (1, 1)) < 0.25


@claim("adam-first-step")
def _(lesson, runs):
    (traj,) = runs
    lr = traj.config["hparams"]["lr"]
    beta1, beta2 = traj.config["hparams"]["betas"]
    g = traj.grad[0]
    assert np.array_equal(g, [-2.5, 2000.0]) and g[1] / -g[0] == 800
    assert "(−2.5, 2000)" in lesson.text("question", "en") and "800" in lesson.text("question", "zh")
    assert np.allclose(np.abs(traj.update[0]), lr, rtol=0.01)
    assert np.array_equal(np.sign(traj.update[0]), -np.sign(g))
    assert np.allclose(traj.state["exp_avg"][0], (1 - beta1) * g, rtol=1e-5)
    assert np.allclose(traj.state["exp_avg_sq"][0], (1 - beta2) * g * g, rtol=1e-5)
    mentions(lesson, f"exp_avg = {1 - beta1:.1g}·g", f"exp_avg_sq = {1 - beta2:.1g}·g²")
    assert np.abs(np.abs(traj.update) / lr - 1).max() > 0.1  # later steps drift away from lr


@claim("adam-l2-vs-adamw")
def _(lesson, runs):
    adam, l2, adamw = runs
    lr, lam = adamw.config["hparams"]["lr"], adamw.config["hparams"]["weight_decay"]
    assert l2.config["hparams"]["weight_decay"] == lam and not l2.config["hparams"]["decoupled_weight_decay"]
    # minimum of f + λ/2·‖θ‖²: (H + λI)θ = −∇f(0) on the quadratic Booth surface
    h, g0 = hessian("booth", {}), gradient("booth", {})
    ridge = np.linalg.solve(h + lam * np.eye(2), -g0)
    mentions(lesson, f"({ridge[0]:.2f}, {ridge[1]:.2f})")
    assert distance(l2.xy[-1], ridge) < 0.01
    assert distance(adam.xy[-1], (1, 3)) < 0.05
    # the L2 rule: λθ joins the gradient before the averages
    assert np.allclose(l2.state["exp_avg"][0], 0.1 * (l2.grad[0] + lam * l2.xy[0]), rtol=1e-5)
    # the decoupled rule: θ ← (1 − lr·λ)θ − lr·m̂/(√v̂ + ε)
    ratio = adam_ratio(adamw)
    assert np.allclose(adamw.xy[1:], (1 - lr * lam) * adamw.xy[:-1] - lr * ratio, atol=1e-5)
    assert np.abs(ratio).max() < 1.001  # Adam's step is at most about lr
    end = adamw.xy[-1]
    mentions(lesson, rf"1/\lambda = {1 / lam:g}", "(1.2, 1.3)")
    assert np.all(np.abs(end) < 1 / lam) and distance(end, (1.2, 1.3)) < 0.06
    assert np.allclose(lam * end, -ratio[-1], atol=0.01)  # the decay balances the normalised step
    assert distance(end, ridge) > 1 and adamw.steps == 1000
    v_hat = adamw.state["exp_avg_sq"][-1] / (1 - 0.999 ** adamw.steps)
    assert np.all(np.sqrt(v_hat) > 1.2 * np.abs(adamw.grad[-1]))  # √v̂ still remembers the start


@claim("step-vs-cosine")
def _(lesson, runs):
    plain, step, cosine = runs
    base = lesson.state["lr"]
    t = np.arange(step.steps)
    assert np.allclose(step.lr, base * 0.5 ** (t // 25), rtol=1e-6)
    assert list(np.flatnonzero(np.diff(step.lr)) + 1) == [25, 50, 75]  # piecewise constant
    assert np.allclose(cosine.lr, 0.5 * base * (1 + np.cos(np.pi * t / 100)), rtol=1e-5, atol=1e-9)
    assert np.all(np.diff(cosine.lr) < 0) and cosine.lr[-1] < 1e-3 * base
    assert lr_curve("CosineAnnealingLR", {"T_max": 100}, 150, base)[149] > cosine.lr[-1]  # climbs back
    lam_max = np.linalg.eigvalsh(hessian("bowl", lesson.state["surface_params"]))[-1]
    assert base == 2 / lam_max
    assert np.allclose(np.abs(plain.xy[:, 1]), 2, atol=1e-5)  # bounces between ±2 for ever
    for traj in (step, cosine):
        y, lr = traj.xy[:, 1], traj.lr
        ok = np.abs(y[:-1]) > 1e-3
        assert np.allclose((y[1:] / np.where(ok, y[:-1], 1))[ok], (1 - lam_max * lr)[ok], atol=1e-5)
    assert step.lr[25] == 1 / lam_max and abs(step.xy[26, 1]) < 1e-6
    assert np.allclose(cosine.xy[1:46, 1] / cosine.xy[:45, 1], -np.cos(np.pi * t[:45] / 100), atol=1e-5)
    assert np.all(np.abs(cosine.xy[50:, 1]) < 1e-6)
    mentions(lesson, f"at step 50 StepLR gives {step.lr[50]:g} and the cosine {cosine.lr[50]:g}", langs=("en",))
    mentions(lesson, f"StepLR 是 {step.lr[50]:g}，余弦是 {cosine.lr[50]:g}", langs=("zh",))


@claim("adam-warmup")
def _(lesson, runs):
    plain, cosine, warm = runs
    base = lesson.state["lr"]
    assert plain.loss[0] == 12.5
    assert "12.5" in lesson.text("question", "en") and "12.5" in lesson.text("question", "zh")
    mentions(lesson, "12.5", "200", "20 ")
    assert plain.loss[1] > 200 and cosine.loss[1] > 200
    assert np.allclose(np.abs(plain.update[0]), base, rtol=1e-5)  # Adam's first step: lr per coordinate
    assert np.nanmax(warm.loss) < 20
    t = np.arange(21)
    assert np.allclose(warm.lr[:21], base * (0.01 + 0.99 * np.minimum(t, 20) / 20), rtol=1e-5)
    k = np.arange(warm.steps - 20)
    assert np.allclose(warm.lr[20:], 0.5 * base * (1 + np.cos(np.pi * k / 180)), rtol=1e-4, atol=1e-9)
    assert plain.loss[-1] < warm.loss[-1] and plain.loss[-1] < cosine.loss[-1]
    assert cosine.lr[-1] < 1e-3 * base and warm.lr[-1] < 1e-3 * base
    for traj in (cosine, warm):
        assert distance(traj.xy[-1], (1, 1)) > distance(plain.xy[-1], (1, 1))


@claim("minibatch-noise")
def _(lesson, runs):
    full, mini, single = runs
    surface = get_surface("linear_regression", {"standardize": False})
    _, lr_max = conditioning(surface.data["x"])
    mentions(lesson, f"{lr_max:.3f}")
    assert full.config["hparams"]["lr"] < lr_max
    assert np.all(np.diff(full.loss) <= 1e-6 * full.loss[:-1])  # never goes up (beyond float32 rounding)
    assert full.loss[-1] - surface.min_value < 1e-5
    for traj in (mini, single):
        assert 0.35 < np.mean(np.diff(traj.loss) > 0) < 0.65  # up in roughly half of the steps
    spread = [np.std(traj.loss[-100:]) for traj in runs]
    assert spread[2] > spread[1] > 100 * spread[0]
    # DataLoader(shuffle=True) with 15 points, batches of 4: 4, 4, 4, 3 points, a new order every epoch
    assert list(mini.epoch[:8]) == [0, 0, 0, 0, 1, 1, 1, 1]
    assert list((mini.batches[:4] >= 0).sum(1)) == [4, 4, 4, 3]
    epochs = [mini.batches[i:i + 4][mini.batches[i:i + 4] >= 0] for i in (0, 4)]
    assert all(sorted(e) == list(range(15)) for e in epochs) and list(epochs[0]) != list(epochs[1])
    assert single.batches.shape[1] == 1


@claim("standardize-data")
def _(lesson, runs):
    (traj,) = runs
    raw_x = get_surface("linear_regression", {"standardize": False}).data["x"]
    kappa, lr_max = conditioning(raw_x)
    mentions(lesson, f"κ ≈ {kappa:.0f}", f"≈ {lr_max:.3f}")
    assert raw_x.min() >= 2 and raw_x.max() <= 11 and abs(raw_x.mean() - 6) < 0.5
    surface = get_surface("linear_regression", {"standardize": True})
    kappa_std, lr_max_std = conditioning(surface.data["x"])
    assert abs(kappa_std - 1) < 1e-9 and abs(lr_max_std - 1) < 1e-9
    lr = traj.config["hparams"]["lr"]
    assert np.isclose(lr, lr_max_std / 2) and lr > 20 * lr_max
    assert all(f"lr < {lr_max:.3f}" in lesson.text("question", lang) for lang in ("en", "zh"))
    assert np.all(traj.loss[1:] - surface.min_value < 1e-6)  # one step lands on the minimum
    raw = run_many([variant(lesson.id, surface_params={"standardize": False}, start=None)])[0]
    assert raw.diverged_at is not None
    # the same fitted line: w_raw = w_std/σ, b_raw = b_std − w_std·μ/σ
    w_s, b_s = traj.xy[1]
    w, b, _ = least_squares(raw_x, get_surface("linear_regression", {}).data["y"])
    assert np.isclose(w, w_s / raw_x.std(), atol=1e-5) and np.isclose(b, b_s - w_s * raw_x.mean() / raw_x.std(),
                                                                      atol=1e-4)


@claim("lbfgs-few-steps")
def _(lesson, runs):
    wolfe, fixed, adam = runs
    assert wolfe.config["hparams"]["line_search_fn"] == "strong_wolfe" and fixed.config["hparams"]["lr"] == 1
    max_eval = wolfe.config["hparams"]["max_iter"] * 5 // 4
    mentions(lesson, f"max_iter = {wolfe.config['hparams']['max_iter']}", f"max_eval = {max_eval}")
    # strong_wolfe's second step stops at its 24th or 25th evaluation, by float32 rounding that differs between
    # processors (49 on one machine, 50 on another, torch's own loop alike): the lesson states both
    for traj, steps, evals in ((wolfe, 2, (49, 50)), (fixed, 4, (80,))):
        reached = first(traj.loss < 1e-6)
        assert reached == steps <= 10
        assert int(traj.evals[:steps].sum()) in evals and min(evals) > 10 * steps
        assert np.all(traj.evals[steps:] == 1) and traj.evals.max() <= max_eval
        mentions(lesson, f"{steps} ")
        mentions(lesson, " or ".join(map(str, evals)) + " ", langs=("en",))
        mentions(lesson, " 或 ".join(map(str, evals)) + " ", langs=("zh",))
    assert np.all(adam.evals == 1) and adam.evals.sum() == adam.steps == 100 and adam.loss[-1] > 1


@claim("gradient-clipping")
def _(lesson, runs):
    plain, by_norm, by_value = runs
    lr = plain.config["hparams"]["lr"]
    g0 = np.linalg.norm(plain.grad[0])
    assert round(g0, -2) == 3700
    first_step = np.linalg.norm(plain.update[0])
    assert np.isclose(first_step, lr * g0, rtol=1e-4)
    mentions(lesson, f"≈ {first_step:.1f}")
    assert plain.diverged_at is not None and plain.diverged_at <= 5
    assert np.linalg.norm(plain.grad[1]) > g0  # it landed somewhere even steeper
    max_norm = by_norm.config["clip_grad_norm"]
    assert np.all(np.linalg.norm(by_norm.grad, axis=1) <= max_norm * (1 + 1e-5))
    cos = np.sum(by_norm.grad * by_norm.raw_grad, 1) / (
        np.linalg.norm(by_norm.grad, axis=1) * np.linalg.norm(by_norm.raw_grad, axis=1))
    assert np.all(cos > 1 - 1e-6)  # direction kept
    assert np.linalg.norm(by_norm.update, axis=1).max() <= lr * max_norm * (1 + 1e-5)
    clip = by_value.config["clip_grad_value"]
    assert np.abs(by_value.grad).max() <= clip * (1 + 1e-6)
    cos = np.sum(by_value.grad * by_value.raw_grad, 1) / (
        np.linalg.norm(by_value.grad, axis=1) * np.linalg.norm(by_value.raw_grad, axis=1))
    assert cos.min() < 0.99  # direction turned
    cap = lr * clip * math.sqrt(2)
    assert np.linalg.norm(by_value.update, axis=1).max() <= cap * (1 + 1e-5)
    mentions(lesson, f"= {lr * max_norm:g}", f"≈ {cap:.3f}")
    for traj in (by_norm, by_value):
        assert traj.diverged_at is None and traj.loss[-1] < traj.loss[0] / 1000
        assert distance(traj.xy[-1], (1, 1)) > 0.1


@claim("himmelblau-basins")
def _(lesson, runs):
    (traj,) = runs
    surface = get_surface("himmelblau")
    n = lesson.state["grid"] ** 2
    mentions(lesson, str(n))
    assert traj.xy.shape == (traj.steps + 1, n, 2)
    labels = basin_labels(surface, traj.xy[-1])
    assert np.all(traj.loss[-1] < 1e-3) and np.all(labels >= 0)
    shares = np.bincount(labels, minlength=4) / n
    assert np.all((shares > 0.2) & (shares < 0.3)), shares
    momentum = run_many([variant(lesson.id, optimizer="Momentum")])[0]
    changed = np.mean(basin_labels(surface, momentum.xy[-1]) != labels)
    assert changed > 0.2


@claim("rastrigin-traps")
def _(lesson, runs):
    (traj,) = runs
    surface = get_surface("rastrigin", lesson.state["surface_params"])
    final = traj.xy[-1]
    n = len(final)
    found = int(np.sum(basin_labels(surface, final) == 0))
    mentions(lesson, f"{found} starts", langs=("en",))
    mentions(lesson, f"{100 * found / n:.1f}%", f"{n} ")
    assert found == 4
    assert np.all(np.linalg.norm(traj.grad[-1], axis=-1) < 1e-2)  # every run stopped at a stationary point
    ends = np.unique(np.round(final), axis=0)
    assert len(ends) == 121 and np.abs(ends).max() == 5  # an 11 × 11 lattice of local minima
    assert np.all(np.abs(final - np.round(final)) < 0.1)
    curvature = hessian("rastrigin", lesson.state["surface_params"])[0, 0]
    assert np.isclose(curvature, 2 + 4 * math.pi ** 2 * 10)
    mentions(lesson, rf"\approx {curvature:.0f}$", f"2/{curvature:.0f} ≈ {2 / curvature:.3f}")
    above = run_many([variant(lesson.id, hparams={"lr": 0.006})])[0]
    assert 2 / curvature < 0.006
    assert np.all(np.linalg.norm(above.grad[-1], axis=-1) > 1)  # nobody settles


def _percent(value: float) -> str:
    return f"{round(100 * value)} %"


def _first_at_least(series: np.ndarray, level: float) -> int:
    return int(np.argmax(series >= level))


@claim("spiral-adam-vs-momentum")
def _(lesson, runs):
    sgd, momentum, adam = runs
    assert momentum.config["hparams"]["momentum"] == 0.9  # the preset
    assert adam.accuracy[100] > max(sgd.accuracy[100], momentum.accuracy[100]) + 0.2  # Adam first, by far
    assert (sgd.accuracy < 0.9).all()  # plain SGD never gets there in 1,000 steps
    assert _first_at_least(adam.accuracy, 0.9) < _first_at_least(momentum.accuracy, 0.9)
    assert abs(sgd.loss[0] - 0.69) < 0.01 and sgd.loss[0] == adam.loss[0] == momentum.loss[0]  # one start
    mentions(lesson, _percent(adam.accuracy[100]), str(_first_at_least(adam.accuracy, 0.9)),
             str(_first_at_least(momentum.accuracy, 0.9)), _percent(sgd.accuracy[-1]),
             _percent(momentum.test_accuracy[-1]), _percent(adam.test_accuracy[-1]),
             "–".join(str(round(100 * a)) for a in sorted([momentum.accuracy[-1], adam.accuracy[-1]])) + " %")


def _dead_units(traj, layer: int) -> int:
    """Units of hidden layer `layer` (0-based) that a hand-built torch model at the run's final weights never
    activates on any training point."""
    net = traj.config["network"]
    data = data_of(net)
    model = build_model(net, data.classes)
    torch.nn.utils.vector_to_parameters(torch.from_numpy(traj.params[-1]), model.parameters())
    with torch.no_grad():
        activations = model[:2 * layer + 2](data.x_train)
    return int((activations.max(0).values == 0).sum())


@claim("head-lr")
def _(lesson, runs):
    same, groups = runs
    assert groups.config["lr_multipliers"] == [1.0, 0.1] and same.config["lr_multipliers"] is None
    assert np.allclose(groups.group_lr[0], [4.0, 0.4])  # the head's group: a ten times smaller lr
    jump = int(np.nanargmax(same.loss[:10]))
    assert _dead_units(same, 1) == 16 and _dead_units(groups, 1) == 4
    assert same.grad_norm[-1, 0] == same.grad_norm[-1, 1] == 0  # no gradient reaches the hidden layers
    alive = 16 - _dead_units(groups, 1)
    mentions(lesson, str(_first_at_least(groups.accuracy, 0.9)), _percent(groups.accuracy[-1]),
             _percent(same.accuracy[-1]), f"{same.loss[0]:.3f}", f"{same.loss[jump]:.2f}", f" {jump}",
             f"{same.loss[-1]:.3f}", f"{alive} ")
