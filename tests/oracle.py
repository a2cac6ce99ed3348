"""A plain, hand-written PyTorch training loop: the oracle the engine must equal.

Written the way a student would write it, sharing no code with the engine:
zero_grad, forward, backward, [clip], step, scheduler.step; and the course's own script, verbatim.
"""

import contextlib
import inspect
import io

import numpy as np
import torch
from torch.optim import lr_scheduler
from torch.utils.data import DataLoader, TensorDataset


def make_scheduler(optimizer, name, params, steps):
    if name is None:
        return None
    if name == "SequentialLR":
        chain = [make_scheduler(optimizer, c["name"], c["params"], steps) for c in params["schedulers"]]
        return lr_scheduler.SequentialLR(optimizer, chain, milestones=params["milestones"])
    return getattr(lr_scheduler, name)(optimizer, **params)


def torch_loop(fn, start, steps, optimizer, hparams, scheduler=None, scheduler_params=None,
               clip_norm=None, clip_value=None, lr_multipliers=None, dtype=torch.float32):
    """Positions (steps+1, 2), losses at them (steps+1,), and every group's LR at each step."""
    if lr_multipliers is None:
        p = torch.tensor(start, dtype=dtype, requires_grad=True)
        params = [p]
        position = lambda: p  # noqa: E731
    else:
        lr = hparams.get("lr", inspect.signature(getattr(torch.optim, optimizer)).parameters["lr"].default)
        w = torch.tensor(start[:1], dtype=dtype, requires_grad=True)
        b = torch.tensor(start[1:], dtype=dtype, requires_grad=True)
        params = [{"params": [w], "lr": lr * lr_multipliers[0]}, {"params": [b], "lr": lr * lr_multipliers[1]}]
        position = lambda: torch.cat([w, b])  # noqa: E731
    opt = getattr(torch.optim, optimizer)(params, **hparams)
    sched = make_scheduler(opt, scheduler, scheduler_params or {}, steps)
    leaves = [t for g in opt.param_groups for t in g["params"]]
    xs, lrs = [position().detach().clone()], []

    def closure():
        opt.zero_grad()
        loss = fn(position())
        loss.backward()
        if clip_value is not None:
            torch.nn.utils.clip_grad_value_(leaves, clip_value)
        if clip_norm is not None:
            torch.nn.utils.clip_grad_norm_(leaves, clip_norm)
        return loss

    for _ in range(steps):
        lrs.append([g["lr"] for g in opt.param_groups])
        if optimizer == "LBFGS":
            loss = opt.step(closure)
        else:
            loss = closure()
            opt.step()
        if scheduler == "ReduceLROnPlateau":
            sched.step(loss.item())
        elif sched is not None:
            sched.step()
        xs.append(position().detach().clone())
    xs = torch.stack(xs)
    with torch.no_grad():
        losses = torch.stack([fn(x) for x in xs])
    return xs.numpy(), losses.numpy(), np.array(lrs)


def minibatch_loop(x, y, start, steps, batch_size, seed, optimizer, hparams):
    """Linear regression on mini-batches from a seeded DataLoader, epoch after epoch."""
    wb = torch.tensor(start, requires_grad=True)
    opt = getattr(torch.optim, optimizer)([wb], **hparams)
    loader = DataLoader(TensorDataset(torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)),
                        batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed))
    xs = [wb.detach().clone()]
    while len(xs) <= steps:
        for xb, yb in loader:
            opt.zero_grad()
            loss = ((wb[0] * xb + wb[1] - yb) ** 2).mean()
            loss.backward()
            opt.step()
            xs.append(wb.detach().clone())
            if len(xs) > steps:
                break
    return torch.stack(xs).numpy()


def course_loop(model, optimizer, epochs: int = 100, lbfgs_steps: int | None = None) -> list[float]:
    """The course's training loop (reference 004) on its data: nn.Linear + MSELoss.

    First-order optimizers: the loss before each of `epochs` steps.  LBFGS (`lbfgs_steps`):
    `optimizer.step(closure)` and the loss after each step.
    """
    from surfaces.regression import COURSE_X, COURSE_Y
    x = torch.tensor(COURSE_X, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(COURSE_Y, dtype=torch.float32).unsqueeze(1)
    criterion = torch.nn.MSELoss()
    losses = []
    if lbfgs_steps is None:
        for _ in range(epochs):
            loss = criterion(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses

    def closure():
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        return loss

    for _ in range(lbfgs_steps):
        optimizer.step(closure)
        with torch.no_grad():
            losses.append(criterion(model(x), y).item())
    return losses


def _course_script() -> None:
    """The course's script, verbatim apart from indentation (and its Chinese comments left out)."""
    import numpy as np
    import torch.nn as nn
    import torch.optim as optim

    torch.manual_seed(42)

    X_numpy = np.array([[3.3], [4.4], [5.5], [6.71], [6.93], [4.168],
                        [9.779], [6.182], [7.59], [2.167], [7.042],
                        [10.791], [5.313], [7.997], [3.1]], dtype=np.float32)

    y_numpy = np.array([[1.7], [2.76], [2.09], [3.19], [1.694], [1.573],
                        [3.366], [2.596], [2.53], [1.221], [2.827],
                        [3.465], [1.65], [2.904], [1.3]], dtype=np.float32)

    X = torch.from_numpy(X_numpy)
    y = torch.from_numpy(y_numpy)

    class LinearRegressionModel(nn.Module):
        def __init__(self):
            super(LinearRegressionModel, self).__init__()  # noqa: UP008
            self.linear = nn.Linear(1, 1)

        def forward(self, x):
            return self.linear(x)

    criterion = nn.MSELoss()

    def train_with_optimizer(optimizer, model, num_epochs=100):
        print(f"\n--- Training with {optimizer.__class__.__name__} ---")
        for epoch in range(num_epochs):
            outputs = model(X)
            loss = criterion(outputs, y)

            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

            if (epoch+1) % 20 == 0:
                print(f'Epoch [{epoch+1}/{num_epochs}], Loss: {loss.item():.4f}')

        [w, b] = model.parameters()
        print(f"Learned parameters: w={w.item():.3f}, b={b.item():.3f}")

    model_sgd = LinearRegressionModel()
    optimizer_sgd = optim.SGD(model_sgd.parameters(), lr=0.01)
    train_with_optimizer(optimizer_sgd, model_sgd)

    model_momentum = LinearRegressionModel()
    optimizer_momentum = optim.SGD(model_momentum.parameters(), lr=0.01, momentum=0.9)
    train_with_optimizer(optimizer_momentum, model_momentum)

    model_rmsprop = LinearRegressionModel()
    optimizer_rmsprop = optim.RMSprop(model_rmsprop.parameters(), lr=0.01)
    train_with_optimizer(optimizer_rmsprop, model_rmsprop)

    model_adam = LinearRegressionModel()
    optimizer_adam = optim.Adam(model_adam.parameters(), lr=0.001)
    train_with_optimizer(optimizer_adam, model_adam)

    model_lbfgs = LinearRegressionModel()
    optimizer_lbfgs = optim.LBFGS(model_lbfgs.parameters(), lr=1, max_iter=20)

    print(f"\n--- Training with {optimizer_lbfgs.__class__.__name__} ---")

    def closure():
        optimizer_lbfgs.zero_grad()
        outputs = model_lbfgs(X)
        loss = criterion(outputs, y)
        loss.backward()
        return loss

    for i in range(5):
        print(f'Step [{i+1}/5]')
        optimizer_lbfgs.step(closure)

        with torch.no_grad():
            final_loss = criterion(model_lbfgs(X), y)
            print(f'Loss: {final_loss.item():.4f}')

    [w, b] = model_lbfgs.parameters()
    print(f"Learned parameters: w={w.item():.3f}, b={b.item():.3f}")


def run_course_script() -> str:
    """Run the course's literal script with torch and return what it prints (inside `fork_rng`)."""
    out = io.StringIO()
    with torch.random.fork_rng(devices=[]), contextlib.redirect_stdout(out):
        _course_script()
    return out.getvalue()
