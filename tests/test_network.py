"""Network runs: the engine against a plain hand-written torch loop (the oracle), validation, and the server path."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils import parameters_to_vector, vector_to_parameters
from torch.utils.data import DataLoader, TensorDataset

from optimizers import OPTIMIZERS, ConfigError, NetworkTrajectory, Trajectory, budget, normalize, run, run_many
from optimizers.network import NETWORK, first_steps
from surfaces.classification import DATASETS, make_points, split
from texts import text

NET = {"network": {"dataset": "moons", "n": 120, "hidden": [8]}, "steps": 40, "optimizer": "SGD",
       "hparams": {"lr": 0.1, "momentum": 0.9}}
SURFACE = {"surface": "rosenbrock", "steps": 10, "optimizer": "Adam"}


# ------------------------------------------------------------------------------------------- dispatch and cache


def test_run_many_keeps_the_order_of_network_and_surface_runs():
    out = run_many([NET, SURFACE, {**NET, "optimizer": "Adam", "hparams": {"lr": 0.01}}])
    assert [type(t) for t in out] == [NetworkTrajectory, Trajectory, NetworkTrajectory]
    np.testing.assert_array_equal(out[0].params, run(NET).params)
    np.testing.assert_array_equal(out[1].xy, run(SURFACE).xy)


def test_normalize_dispatches():
    assert "network" in normalize(NET) and "surface" not in normalize(NET)
    assert normalize(SURFACE)["surface"] == "rosenbrock"


def test_first_steps_of_a_network_run_equal_a_shorter_run():
    for config in (NET, {**NET, "batch_size": 16, "seed": 3}):
        long, short = run({**config, "steps": 40}), run({**config, "steps": 15})
        cut = first_steps(long, 15)
        for name in ("params", "loss", "accuracy", "test_loss", "test_accuracy", "lr", "group_lr", "grad_norm",
                     "evals", "batches", "epoch"):
            np.testing.assert_array_equal(getattr(cut, name), getattr(short, name), err_msg=name)
        assert cut.config == short.config and cut.diverged_at == short.diverged_at


def test_the_server_cache_and_pool_run_networks():
    from ui.cache import TrajectoryCache
    from ui.engine_pool import run_batch

    keys = [json.dumps(NET, sort_keys=True), json.dumps(SURFACE, sort_keys=True)]
    net, surface = run_batch(keys)
    assert isinstance(net, NetworkTrajectory) and isinstance(surface, Trajectory)
    cache = TrajectoryCache(10 * 2**20)
    cache.put(keys[0], net)
    cut = cache.first_steps_of(normalize({**NET, "steps": 12}))
    assert isinstance(cut, NetworkTrajectory) and cut.steps == 12
    np.testing.assert_array_equal(cut.params, run({**NET, "steps": 12}).params)
    assert cache.first_steps_of(normalize({**NET, "steps": 41})) is None


def test_a_bad_network_run_fails_alone_in_a_batch():
    from ui.engine_pool import run_batch

    bad = {**NET, "network": {"hidden": [0]}}
    out = run_batch([json.dumps(bad), json.dumps(NET)])
    assert isinstance(out[0], ValueError) and isinstance(out[1], NetworkTrajectory)


@pytest.mark.parametrize("config", [NET])
def test_run_results_path_normalizes_network_configs(config):
    from ui.cache import _lookup

    key, traj = _lookup(config)
    assert key == json.dumps(config, sort_keys=True)


# ------------------------------------------------------------------------------- the oracle: a hand-written loop


ACT = {"ReLU": nn.ReLU, "Tanh": nn.Tanh, "Sigmoid": nn.Sigmoid, "GELU": nn.GELU}


def hand_data(network: dict, dtype=torch.float32):
    """The training and test sets, made as a student's script makes them (make_points + split, then tensors)."""
    net = {**NETWORK, **network}
    if net["points"] is None:
        x, y = make_points(net["dataset"], net["n"], net["noise"], net["data_seed"])
    else:
        p = net["points"]
        x, y = np.c_[p["x1"], p["x2"]].astype(np.float32), np.asarray(p["label"], dtype=np.int64)
    x_train, y_train, x_test, y_test = split(x, y, net["test_fraction"], net["data_seed"])
    return (torch.tensor(x_train).to(dtype), torch.tensor(y_train), torch.tensor(x_test).to(dtype),
            torch.tensor(y_test))


def hand_model(hidden: list[int], activation: str, classes: int) -> nn.Sequential:
    """nn.Sequential(nn.Linear(2, h₁), act, …, nn.Linear(h_k, classes)), as a student writes it."""
    layers: list[nn.Module] = []
    width = 2
    for h in hidden:
        layers += [nn.Linear(width, h), ACT[activation]()]
        width = h
    return nn.Sequential(*layers, nn.Linear(width, classes))


def hand_run(config: dict) -> dict:
    """The plain loop: torch.manual_seed(init_seed), the model, the optimizer (its parameter groups written the
    course's way), the scheduler, then zero_grad / loss / backward / [clip] / step / scheduler.step, full batch or
    a seeded shuffling DataLoader; recording the weights, each step's loss and per-layer gradient norm (before
    clipping) and the test set's loss and accuracy at every weight vector, until a loss is not finite."""
    net = {**NETWORK, **config["network"]}
    dtype = torch.float64 if config.get("dtype") == "float64" else torch.float32
    X, Y, X_test, Y_test = hand_data(config["network"], dtype)
    classes = int(max(Y.max(), Y_test.max() if len(Y_test) else 0)) + 1
    if net["points"] is None:
        classes = DATASETS[net["dataset"]]
    torch.manual_seed(net["init_seed"])
    model = hand_model(net["hidden"], net["activation"], classes).to(dtype)
    name, hp = config["optimizer"], dict(config.get("hparams", {}))
    lr = hp.pop("lr")
    mult = config.get("lr_multipliers")
    if mult is None:
        optimizer = getattr(torch.optim, name)(model.parameters(), lr=lr, **hp)
    else:  # optim.SGD([{'params': model.base.parameters()}, {'params': model.head.parameters(), 'lr': ...}], lr=...)
        base = [p for layer in list(model)[:-1] for p in layer.parameters()]
        optimizer = getattr(torch.optim, name)([{"params": base, "lr": lr * mult[0]},
                                                {"params": model[-1].parameters(), "lr": lr * mult[1]}], lr=lr, **hp)
    scheduler = None
    sp = config.get("scheduler_params", {})
    if config.get("scheduler") == "StepLR":
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=sp["step_size"], gamma=sp["gamma"])
    elif config.get("scheduler") == "OneCycleLR":
        scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=sp["max_lr"], total_steps=config["steps"])
    elif config.get("scheduler") == "ReduceLROnPlateau":
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=sp["factor"],
                                                               patience=sp["patience"])
    criterion = nn.CrossEntropyLoss()
    linears = [m for m in model if isinstance(m, nn.Linear)]
    out = {"params": [parameters_to_vector(model.parameters()).detach().clone()], "loss": [], "grad_norm": [],
           "lr": [], "test_loss": [], "test_accuracy": []}

    def evaluate():
        with torch.no_grad():
            logits = model(X_test)
            out["test_loss"].append(criterion(logits, Y_test).item())
            out["test_accuracy"].append((logits.argmax(1) == Y_test).sum().item() / len(Y_test))

    def record_first(loss):
        out["loss"].append(loss.item())
        out["grad_norm"].append([torch.cat([m.weight.grad.flatten(), m.bias.grad.flatten()]).double().norm().item()
                                 for m in linears])  # in float64: a float32 norm overflows past 1.8e19

    def clip():
        if config.get("clip_grad_value") is not None:
            nn.utils.clip_grad_value_(model.parameters(), config["clip_grad_value"])
        if config.get("clip_grad_norm") is not None:
            nn.utils.clip_grad_norm_(model.parameters(), config["clip_grad_norm"])

    def step(xb, yb) -> bool:
        out["lr"].append(optimizer.param_groups[0]["lr"])
        if name == "LBFGS":
            calls = []

            def closure():
                optimizer.zero_grad()
                loss = criterion(model(xb), yb)
                loss.backward()
                if not calls:
                    record_first(loss)
                calls.append(1)
                clip()
                return loss

            loss = optimizer.step(closure)
        else:
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            record_first(loss)
            if not np.isfinite(loss.item()):
                return False
            clip()
            optimizer.step()
        out["params"].append(parameters_to_vector(model.parameters()).detach().clone())
        if not np.isfinite(loss.item()):
            return False
        if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            scheduler.step(loss.item())
        elif scheduler is not None:
            scheduler.step()
        return True

    evaluate()
    if config.get("batch_size") is None:
        for _ in range(config["steps"]):
            if not step(X, Y):
                break
            evaluate()
    else:
        loader = DataLoader(TensorDataset(X, Y), batch_size=config["batch_size"], shuffle=True,
                            generator=torch.Generator().manual_seed(config.get("seed", 0)))
        done = 0
        while done < config["steps"]:
            for xb, yb in loader:
                ok = step(xb, yb)
                done += 1
                if not ok or done == config["steps"]:
                    break
                evaluate()
            else:
                continue
            if ok:
                evaluate()
            break
    out["params"] = torch.stack(out["params"]).numpy()
    return out


def assert_equals_hand(config: dict, exact: bool = True) -> NetworkTrajectory:
    """The engine's run equals the hand loop: the weights bit for bit (or within 1e-6 relative), each step's loss
    (full batch: loss[t]), the per-layer gradient norms, the lr, and the test set's loss and accuracy."""
    traj, hand = run(config), hand_run(config)
    n = len(hand["params"])
    cut = traj.diverged_at if traj.diverged_at is not None else n
    assert traj.params.shape[0] == config["steps"] + 1
    if exact:
        np.testing.assert_array_equal(traj.params[:cut], hand["params"][:cut])
    else:
        np.testing.assert_allclose(traj.params[:cut], hand["params"][:cut], rtol=1e-6, atol=1e-7)
    steps_run = min(cut, len(hand["loss"]))
    if config.get("batch_size") is None:
        np.testing.assert_array_equal(traj.loss[:steps_run], hand["loss"][:steps_run])
    np.testing.assert_allclose(traj.grad_norm[:steps_run], hand["grad_norm"][:steps_run], rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(traj.lr[:steps_run], hand["lr"][:steps_run], rtol=1e-12)
    evaluated = min(cut, len(hand["test_loss"]))
    np.testing.assert_allclose(traj.test_loss[:evaluated], hand["test_loss"][:evaluated], rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(traj.test_accuracy[:evaluated], hand["test_accuracy"][:evaluated])
    assert np.isnan(traj.params[cut:]).all() and np.isnan(traj.loss[cut:]).all()
    return traj


def net(optimizer: str, hparams: dict, steps: int = 60, network: dict | None = None, **extra) -> dict:
    return {"network": {"dataset": "spiral2", "n": 200, "hidden": [16, 16], **(network or {})}, "steps": steps,
            "optimizer": optimizer, "hparams": hparams, **extra}


@pytest.mark.parametrize(("optimizer", "hparams"), [
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3}),
    ("Adam", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.005, "centered": True}),
    ("Adagrad", {"lr": 0.1}),
])
def test_optimizers_equal_the_hand_loop(optimizer, hparams):
    assert_equals_hand(net(optimizer, hparams))


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_equals_the_hand_loop_briefly(name):
    hparams = {"lr": 0.5 if name == "LBFGS" else 0.01} if "lr" in {p.key for p in OPTIMIZERS[name].params} else {}
    assert_equals_hand(net(name, hparams, steps=8 if name == "LBFGS" else 15))


def test_lbfgs_with_its_closure_and_strong_wolfe():
    traj = assert_equals_hand(net("LBFGS", {"lr": 1.0, "max_iter": 5, "line_search_fn": "strong_wolfe"}, steps=10))
    assert (traj.evals > 1).any() and traj.stopped_at is None


@pytest.mark.parametrize(("scheduler", "params"), [
    ("StepLR", {"step_size": 10, "gamma": 0.5}),
    ("OneCycleLR", {"max_lr": 0.05}),
    ("ReduceLROnPlateau", {"factor": 0.5, "patience": 1}),
])
def test_schedulers_equal_the_hand_loop(scheduler, params):
    traj = assert_equals_hand(net("SGD", {"lr": 1.0, "momentum": 0.9}, scheduler=scheduler,
                                  scheduler_params=params))
    assert len(set(traj.lr.tolist())) > 1


def test_parameter_groups_the_courses_way():
    traj = assert_equals_hand(net("SGD", {"lr": 0.05, "momentum": 0.9}, lr_multipliers=[1.0, 0.1],
                                  scheduler="StepLR", scheduler_params={"step_size": 20, "gamma": 0.5}))
    np.testing.assert_allclose(traj.group_lr[0], [0.05, 0.005])


@pytest.mark.parametrize(("batch_size", "seed"), [(1, 0), (32, 5), (150, 1)])
def test_mini_batches_equal_a_seeded_dataloader(batch_size, seed):
    traj = assert_equals_hand(net("Adam", {"lr": 0.01}, steps=25, batch_size=batch_size, seed=seed))
    assert traj.batches.shape[0] == 25
    # the full training set's loss and accuracy at each weight vector, evaluated (the steps saw batches)
    X, Y, _, _ = hand_data(net("Adam", {})["network"])
    torch.manual_seed(0)
    model = hand_model([16, 16], "ReLU", 2)
    for t in (0, 7, 25):
        vector_to_parameters(torch.from_numpy(traj.params[t].copy()), model.parameters())
        with torch.no_grad():
            logits = model(X)
        np.testing.assert_allclose(traj.loss[t], nn.CrossEntropyLoss()(logits, Y).item(), rtol=1e-6)
        assert traj.accuracy[t] == (logits.argmax(1) == Y).sum().item() / len(Y)


def test_clipping_equals_the_hand_loop():
    assert_equals_hand(net("SGD", {"lr": 0.5}, clip_grad_norm=0.1))
    assert_equals_hand(net("Adam", {"lr": 0.01}, clip_grad_value=0.01, clip_grad_norm=0.5))


@pytest.mark.parametrize(("dataset", "activation"), [
    ("moons", "ReLU"), ("circles", "Tanh"), ("xor", "Sigmoid"), ("spiral2", "GELU"), ("spiral3", "ReLU"),
    ("blobs", "Tanh"),
])
def test_each_dataset_and_activation(dataset, activation):
    traj = assert_equals_hand(net("Adam", {"lr": 0.02}, steps=30,
                                  network={"dataset": dataset, "activation": activation, "hidden": [8, 6]}))
    assert traj.params.shape[1] == 2 * 8 + 8 + 8 * 6 + 6 + 6 * DATASETS[dataset] + DATASETS[dataset]


def test_no_hidden_layer_is_a_linear_classifier():
    traj = assert_equals_hand(net("SGD", {"lr": 0.5}, network={"hidden": [], "dataset": "blobs"}))
    assert traj.params.shape[1] == 2 * 3 + 3 and traj.grad_norm.shape == (60, 1)


def test_three_hidden_layers_float64_and_another_init_seed():
    assert_equals_hand(net("Adam", {"lr": 0.01}, steps=20, dtype="float64",
                           network={"hidden": [8, 8, 8], "init_seed": 7, "data_seed": 3, "test_fraction": 0.4}))


def test_custom_points():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 2))
    points = {"x1": x[:, 0].tolist(), "x2": x[:, 1].tolist(), "label": (x[:, 0] > x[:, 1]).astype(int).tolist()}
    traj = assert_equals_hand(net("Adam", {"lr": 0.05}, network={"points": points, "hidden": [4]}))
    assert traj.accuracy[-1] > 0.8


def test_divergence_stops_the_run_and_blanks_what_follows():
    traj = assert_equals_hand(net("SGD", {"lr": 1000.0}, steps=30, network={"activation": "GELU"}))
    assert traj.diverged_at is not None and traj.diverged_at < 30
    d = traj.diverged_at
    assert np.isfinite(traj.params[:d]).all() and np.isnan(traj.params[d:]).all()
    for a in (traj.loss, traj.accuracy, traj.test_loss, traj.test_accuracy):
        assert np.isnan(a[d:]).all()
    assert np.isnan(traj.grad_norm[d:]).all() and np.isnan(traj.lr[d:]).all()


def test_the_gradients_stay_views_of_one_flat_tensor():
    """The engine zeroes one flat gradient tensor in place of optimizer.zero_grad(): every optimizer keeps the
    p.grad tensors it was given (else a replaced one would carry last step's gradient)."""
    import optimizers.network as network

    for name in OPTIMIZERS:
        run_ = network._Training(network.normalize_network_config(net(name, {}, steps=3)))
        run_.train()
        base = run_.params[0].grad.untyped_storage().data_ptr()
        assert all(p.grad.untyped_storage().data_ptr() == base for p in run_.params), name


def test_train_accuracy_full_batch_is_the_models():
    traj = run(net("Adam", {"lr": 0.01}, steps=10))
    X, Y, _, _ = hand_data(net("Adam", {})["network"])
    torch.manual_seed(0)
    model = hand_model([16, 16], "ReLU", 2)
    for t in range(11):
        vector_to_parameters(torch.from_numpy(traj.params[t].copy()), model.parameters())
        with torch.no_grad():
            logits = model(X)
        assert traj.accuracy[t] == (logits.argmax(1) == Y).sum().item() / len(Y)
        np.testing.assert_allclose(traj.loss[t], nn.CrossEntropyLoss()(logits, Y).item(), rtol=1e-6)


def test_make_points_class_counts_equal_datasets():
    for name, classes in DATASETS.items():
        x, y = make_points(name, 300, 0.1, 0)
        assert x.shape == (300, 2) and x.dtype == np.float32 and y.dtype == np.int64
        assert sorted(set(y.tolist())) == list(range(classes)), name


# ------------------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(("config", "field"), [
    ({"network": {"bogus": 1}}, "bogus"),
    ({"network": {}, "surface": "rosenbrock"}, "surface"),
    ({"network": {"dataset": "nope"}}, "dataset"),
    ({"network": {"hidden": [0]}}, "hidden"),
    ({"network": {"hidden": [65]}}, "hidden"),
    ({"network": {"hidden": [4, 4, 4, 4]}}, "hidden"),
    ({"network": {"hidden": "16"}}, "hidden"),
    ({"network": {"activation": "relu"}}, "activation"),
    ({"network": {"n": 5}}, "n"),
    ({"network": {"test_fraction": 0.95}}, "test_fraction"),
    ({"network": {"points": [1, 2]}}, "points"),
    ({"network": {"points": {"x1": [0, 1, 2, 3], "x2": [0, 1, 2, 3], "label": [1, 1, 1, 1]}}}, "points"),
    ({"network": {"points": {"x1": [0, 1, 2], "x2": [0, 1, 2], "label": [0, 1, 0]}}}, "points"),
    ({"network": {"points": {"x1": [0, 1, 2, 3], "x2": [0, 1, 2], "label": [0, 1, 0, 1]}}}, "points"),
    ({"network": {"points": {"x1": [0, 1, 2, 3], "x2": [0, 1, 2, 3], "label": [0, 1, 0, 9]}}}, "points"),
    ({"network": {"points": {"x1": [0, "a", 2, 3], "x2": [0, 1, 2, 3], "label": [0, 1, 0, 1]}}}, "points"),
    ({"network": {"hidden": []}, "lr_multipliers": [1.0, 0.1]}, "lr_multipliers"),
    ({"network": {}, "optimizer": "LBFGS", "lr_multipliers": [1.0, 0.1]}, "LBFGS"),
    ({"network": {"n": 40}, "batch_size": 31}, "batch_size"),
    ({"network": {}, "steps": 0}, "steps"),
    ({"network": {}, "optimizer": "Adam", "hparams": {"lr": -1}}, "lr"),
    ({"network": "moons"}, "network"),
])
def test_bad_configs_raise_config_errors_naming_the_field(config, field):
    with pytest.raises(ConfigError) as err:
        run(config)
    assert field in str(err.value) or err.value.key == field, str(err.value)
    assert field in err.value.message("zh") or err.value.key == field


def test_network_errors_read_in_both_languages():
    for key in ("layers", "points", "points_count", "one_class", "groups"):
        for lang in ("en", "zh"):
            assert text(f"network.error.{key}", lang, n=3)


# ----------------------------------------------------------------------------------------------------- budget


BIG = {"network": {"n": 2000, "hidden": [64, 64, 64]}, "optimizer": "Adam"}


def test_a_network_too_big_is_refused_with_what_to_reduce():
    with pytest.raises(ConfigError) as err:
        normalize({**BIG, "steps": 10_000})
    assert err.value.msg.key == "budget.too_big"
    english, chinese = err.value.message("en"), err.value.message("zh")
    assert "steps ≤" in english and "hidden layers" in english and "fewer points" in english
    assert "步数 ≤" in chinese and "隐藏层" in chinese
    allowed = int(english.split("steps ≤ ")[1].split(";")[0].replace(",", ""))
    assert budget.network_estimate(normalize({**BIG, "steps": allowed})).within()
    assert not budget.network_estimate({**normalize({**BIG, "steps": allowed}), "steps": allowed + 1}).within()


def test_the_default_network_fits_and_its_estimate_counts_every_part():
    config = normalize({"network": {}, "steps": 1000, "optimizer": "Adam"})
    cost = budget.network_estimate(config)
    assert cost.within() and cost.seconds < 1.0
    more_points = budget.network_estimate(normalize({**config, "network": {**config["network"], "n": 2000}}))
    wider = budget.network_estimate(normalize({**config, "network": {**config["network"], "hidden": [64, 64]}}))
    minibatch = budget.network_estimate(normalize({**config, "batch_size": 8}))
    assert more_points.seconds > cost.seconds and wider.seconds > cost.seconds and wider.bytes > cost.bytes
    assert minibatch.seconds > cost.seconds  # the whole training set is evaluated at every step


def test_memory_is_refused_too():
    config = {"network": {"n": 40, "hidden": [64, 64, 64]}, "optimizer": "SGD", "steps": 10_000}
    with pytest.raises(ConfigError) as err:
        normalize(config)
    assert "MB" in str(err.value) or " s " in str(err.value)


def test_lbfgs_is_never_refused_for_time_but_stops_at_its_counted_work(monkeypatch):
    worst = {"network": {"n": 2000}, "optimizer": "LBFGS", "steps": 10_000,
             "hparams": {"max_iter": 100, "history_size": 100}}
    assert budget.network_estimate(normalize(worst)).seconds <= budget.MAX_SECONDS + 1e-9
    monkeypatch.setattr(budget, "MAX_SECONDS", 0.25)  # a small budget: a quick test
    config = {"network": {}, "optimizer": "LBFGS", "steps": 100}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as an engine worker runs (tiny tensors: threads only compete)
    try:
        traj = run(config)
        s = traj.stopped_at
        short = run({**config, "steps": s - 2})
    finally:
        torch.set_num_threads(threads)
    assert traj.stopped_at is not None and traj.diverged_at is None
    assert np.isfinite(traj.params[:s]).all() and np.isnan(traj.params[s:]).all()
    assert np.isnan(traj.loss[s:]).all() and np.isfinite(traj.loss[:s]).all()
    assert np.isnan(traj.lr[s - 1:]).all() and (traj.evals[s - 1:] == 0).all()
    # a run's first steps are a shorter run's: the cap does not depend on the steps
    cut = first_steps(traj, s - 2)
    np.testing.assert_array_equal(cut.params, short.params)
    assert short.stopped_at is None and cut.stopped_at is None


def test_the_pool_counts_a_networks_estimate():
    from ui.engine_pool import batch_limits

    seconds, size = batch_limits([json.dumps(NET, sort_keys=True)])
    cost = budget.network_estimate(normalize(NET))
    assert seconds == pytest.approx(15.0 + 4.0 * cost.seconds) and size == 1024 * 2**20 + 4 * cost.bytes


def test_a_worker_process_runs_a_network_for_the_pages():
    """The path of `ui.charts.run_results`: the pool's worker process runs it (pickled back) and the cache keeps it."""
    from ui.cache import TrajectoryCache
    from ui.engine_pool import EnginePool

    cache = TrajectoryCache(10 * 2**20)
    pool = EnginePool(1, on_result=cache.put)
    key = json.dumps(NET, sort_keys=True)
    traj = pool.submit([key])[0].result(timeout=120)
    assert isinstance(traj, NetworkTrajectory)
    np.testing.assert_array_equal(traj.params, run(NET).params)
    assert cache.get(key) is traj and not traj.params.flags.writeable
