"""A plain, hand-written PyTorch training loop: the oracle the engine must equal.

Written the way a student would write it, sharing no code with the engine:
zero_grad, forward, backward, [clip], step, scheduler.step.
"""

import inspect

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
