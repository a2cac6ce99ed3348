r"""Loss landscapes of a network's weights: 2-D slices (planes) and 1-D lines through weight space.

A network has P weights, so its loss :math:`L(\theta)` lives over :math:`\mathbb{R}^P`; a picture can only show a
slice.  A :class:`Plane` is an affine 2-D slice

.. math:: \theta(a, b) = o + a\,u + b\,v, \qquad \|u\| = \|v\| = 1,\; u^\top v = 0,

so the coordinates :math:`(a, b)` are Euclidean distances in weight space.  A run's weights :math:`\theta_t` are
drawn at their orthogonal projection :math:`(a_t, b_t) = (u^\top(\theta_t - o),\, v^\top(\theta_t - o))`, the point
of the plane nearest to them; :math:`d_t = \|\theta_t - \theta(a_t, b_t)\|` is how far off the plane they are.
The contour under a path shows :math:`L(\theta(a_t, b_t))`, not :math:`L(\theta_t)`: the two agree only where
:math:`d_t = 0`.  :func:`path_vs_plane` gives both, and the distance, for every step — what the picture hides.

Three planes (:func:`pca_plane`, :func:`random_plane`, :func:`three_point_plane`) and a line
(:func:`line_losses`).  Every loss here is the full **training-set** cross-entropy (``nn.CrossEntropyLoss()``, mean
over the training points) computed in float32, many weight vectors per call (:func:`losses`: one batched forward
in chunks of bounded memory, no Python loop per point).  Weights go in as float32 (P,) or (K, P) arrays in
``model.parameters()`` order, as ``NetworkTrajectory.params`` holds them; numpy comes out.

>>> from optimizers.network import normalize_network, data_of
>>> net = normalize_network({"dataset": "moons", "hidden": [4]})
>>> data = data_of(net)
>>> theta = np.zeros((3, parameter_count(net, data.classes)), np.float32)
>>> [round(float(v), 4) for v in losses(net, data, theta)]  # zero weights: every class as likely, log 2
[0.6931, 0.6931, 0.6931]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from .network import ACTIVATIONS, Data

Extent = tuple[tuple[float, float], tuple[float, float]]  # ((a_min, a_max), (b_min, b_max))

CHUNK_FLOATS = 1 << 19   # activations alive at once (weight vectors × points × width): ~2 MB, stays in cache
PCA_MAX_FLOATS = 8_000_000  # weight-vector numbers entering the PCA at most (rows evenly thinned beyond)
PLANE_BLOCK = 512           # plane points whose weights and logits are made at once
LINE_RANGE = (-0.25, 1.25)   # α of line_losses: a quarter of the segment's length beyond each end


# ---------------------------------------------------------------------------------------------------------------
# The loss of many weight vectors at once


def layer_shapes(network: dict[str, Any], classes: int) -> list[tuple[int, ...]]:
    """The parameters' shapes in ``model.parameters()`` order: (out, in) weight then (out,) bias per Linear."""
    widths = [2, *network["hidden"], classes]
    return [shape for w_in, w_out in zip(widths, widths[1:], strict=False) for shape in ((w_out, w_in), (w_out,))]


def parameter_count(network: dict[str, Any], classes: int) -> int:
    """P, the length of a flat weight vector."""
    return sum(int(np.prod(shape)) for shape in layer_shapes(network, classes))


_EXP_FLOOR = -80.0  # exp of less is under 2e-35, nothing beside the 1 it is added to, and slow (denormal floats)
_IN_PLACE = {"ReLU": torch.relu_, "Tanh": torch.tanh_, "Sigmoid": torch.sigmoid_}


class _Losses:
    r"""The training-set loss of many weight vectors at once: the MLP written out as batched matmuls.

    For K weight vectors at once, with the points along the last axis (H is K × width × n), layer by layer
    :math:`H \leftarrow \sigma(W H + b\,\mathbf{1}^\top)` — the first layer one matrix product of the stacked
    :math:`[W_1\; b_1]` with :math:`[x\; \mathbf{1}]^\top`, the others ``torch.bmm`` — then
    :math:`\ell = \operatorname{mean}_j \big(\log\sum_c e^{z_{cj}} - z_{y_j j}\big)` with :math:`z = H - \max_c H`,
    the form ``nn.CrossEntropyLoss`` computes (log-softmax, then the mean over the points); with two classes
    :math:`\ell_j = \log(1 + e^{d_j})`, :math:`d_j = z_{\bar y_j j} - z_{y_j j}`, the same number (more exact where
    log-softmax rounds a loss under ~1e-7 to 0).  Exponents below −80 are raised to −80 (a change under 2e-35;
    ``exp`` of such numbers is slow on CPUs).  It is what ``nn.Sequential(nn.Linear, act, …)`` computes for each
    weight vector (the tests check it against that model), one forward each (``Batched.loss_and_accuracy`` does a
    second one for the accuracy).  Callers hand it ``rows`` weight vectors at a time: few enough for their
    activations to stay in the CPU's cache (``CHUNK_FLOATS``), the weight vectors made chunk by chunk too.
    """

    def __init__(self, network: dict[str, Any], data: Data):
        self.shapes = layer_shapes(network, data.classes)
        self.sizes = [int(np.prod(s)) for s in self.shapes]
        self.act = _IN_PLACE.get(network["activation"]) or ACTIVATIONS[network["activation"]]()
        x, y = data.x_train.float(), data.y_train
        self.n = len(x)
        self.x1 = torch.cat([x.T, torch.ones(1, self.n)])  # [x 1]ᵀ: (3, n)
        self.index, self.sign = y.view(1, 1, -1), (1 - 2 * y).float()  # sign: +1 where the class is 0
        self.rows = max(1, CHUNK_FLOATS // max(1, self.n * max(max(s) for s in self.shapes)))

    @torch.no_grad()
    def __call__(self, thetas: np.ndarray) -> np.ndarray:
        """(K,) losses of float32 weight vectors (K, P); NaN for a row that is not finite."""
        thetas = np.ascontiguousarray(thetas, dtype=np.float32)
        if not thetas.flags.writeable:  # a cached run's read-only arrays: torch warns of (never made) writes
            thetas = thetas.copy()
        if thetas.ndim != 2 or thetas.shape[1] != sum(self.sizes):
            raise ValueError(f"weight vectors of {sum(self.sizes)} numbers expected, got shape {thetas.shape}")
        if not self.n:
            return np.full(len(thetas), np.nan, dtype=np.float32)
        parts = torch.from_numpy(thetas).split(self.sizes, dim=1)
        k, width = len(thetas), self.shapes[0][0]
        first = torch.cat([parts[0].view(k, width, 2), parts[1].view(k, width, 1)], 2)
        h = torch.mm(first.view(k * width, 3), self.x1).view(k, width, self.n)
        for i in range(1, len(self.shapes) // 2):
            h = self.act(h)
            h = torch.bmm(parts[2 * i].view(k, *self.shapes[2 * i]), h)
            h += parts[2 * i + 1].unsqueeze(2)
        if h.shape[1] == 2:  # ℓ = log(1 + e^d) = max(d, 0) + log(1 + e^{−|d|}), d = z_other − z_y
            d = (h[:, 1] - h[:, 0]).mul_(self.sign)
            loss = (d.clamp_min(0.0) + d.abs().neg_().clamp_min_(_EXP_FLOOR).exp_().log1p_()).mean(1)
        else:
            z = h - h.amax(1, keepdim=True)
            lse = z.clamp_min(_EXP_FLOOR).exp_().sum(1).log_()
            loss = (lse - z.gather(1, self.index.expand(k, 1, -1))[:, 0]).mean(1)
        out = loss.numpy()
        out[~np.isfinite(thetas).all(1)] = np.nan
        return out


def _chunked(loss: _Losses, count: int, make) -> np.ndarray:
    """(count,) losses of the weight vectors ``make(start, stop)`` returns, ``loss.rows`` at a time."""
    out = np.empty(count, dtype=np.float32)
    for start in range(0, count, loss.rows):
        stop = min(count, start + loss.rows)
        out[start:stop] = loss(make(start, stop))
    return out


class _PlaneLosses:
    r"""The training-set loss at many points (a, b) of one plane :math:`\theta(a, b) = o + a u + b v`: what
    :class:`_Losses` gives for the weight vectors :meth:`Plane.points` makes, several times faster by using that
    every weight and bias is affine in (a, b).

    The first layer's pre-activation is affine in (a, b) too: with :math:`Z_c = W_c X + b_c \mathbf 1^\top` for
    c = o, u, v (three width × n matrices, made once in float64, then rounded), a point's first layer is
    :math:`Z_o + a Z_u + b Z_v` — for a chunk of points one (k × 3)(3 × width·n) product, no first-layer weights
    per point.  The later layers take each point's own weights, :math:`[1\ a\ b]` times the stacked o, u, v
    parts (float32: within an ulp or two of the float64-then-rounded weights of :meth:`Plane.points`; the losses
    agree to float32 rounding), through ``torch.bmm``.  Each bias rides in its weight matrix as one more column,
    against a row of ones that every hidden layer passes on (one more row [0 … 0 1] in its matrix; the activation
    leaves it alone), so there is no separate addition.  With two classes the last layer is the margin row
    :math:`(w_1 - w_0,\ b_1 - b_0)` alone and :math:`\ell = \operatorname{softplus}(\pm\text{margin})`, its
    argument raised to −80 as in :class:`_Losses`.  The activations live in buffers made once per call and reused
    chunk after chunk (``out=``; fresh tensors cost page faults), a chunk small enough for a layer's input and
    output to stay in the CPU's cache together (a quarter of ``CHUNK_FLOATS`` each); the points' weights and
    logits are made ``PLANE_BLOCK`` points at a time.  (One large GEMM per layer against the stacked
    :math:`[W_o^\top W_u^\top W_v^\top]` was measured too: three times the products and the output, several times
    slower than the per-point ``bmm``.)  ``u`` and ``v`` need not be orthonormal (:func:`line_losses` passes
    v = 0).
    """

    def __init__(self, network: dict[str, Any], data: Data, origin: np.ndarray, u: np.ndarray, v: np.ndarray):
        self.general = _Losses(network, data)
        self.n, self.classes, self.act = self.general.n, data.classes, self.general.act
        self.relu = network["activation"] == "ReLU"
        shapes, sizes = self.general.shapes, self.general.sizes
        self.basis = np.stack([np.asarray(t, dtype=float) for t in (origin, u, v)])  # (3, P)
        if self.basis.shape[1] != sum(sizes):
            raise ValueError(f"weight vectors of {sum(sizes)} numbers expected, got {self.basis.shape[1]}")
        parts = np.split(self.basis, np.cumsum(sizes)[:-1], axis=1)
        layers = [(parts[2 * i].reshape(3, *shapes[2 * i]), parts[2 * i + 1]) for i in range(len(shapes) // 2)]
        margin = self.classes == 2

        def last_rows(w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # logits, or the margin row
            return (w[:, 1:] - w[:, :1], b[:, 1:] - b[:, :1]) if margin else (w, b)

        w, b = layers[0] if len(layers) > 1 else last_rows(*layers[0])
        first = w @ self.general.x1[:2].double().numpy() + b[:, :, None]  # (3, rows, n): Z_o, Z_u, Z_v
        if len(layers) > 1:  # the row of ones: 1 in Z_o, 0 in Z_u and Z_v
            first = np.concatenate([first, np.eye(3, 1)[:, :, None].repeat(self.n, 2)], 1)
        self.first = torch.from_numpy(first.reshape(3, -1).astype(np.float32))
        self.first_rows = first.shape[1]
        self.weights: list[torch.Tensor] = []  # the later layers' augmented matrices [W b; 0 1] (the last: [W b])
        self.mats: list[tuple[int, int]] = []
        for i, (w, b) in enumerate(layers[1:], 1):
            last = i == len(layers) - 1
            w, b = last_rows(w, b) if last else (w, b)
            block = np.concatenate([w, b[:, :, None]], 2)
            if not last:
                block = np.concatenate([block, np.eye(3, 1)[:, :, None] * np.eye(1, w.shape[2] + 1, w.shape[2])], 1)
            self.weights.append(torch.from_numpy(block.reshape(3, -1).astype(np.float32)))
            self.mats.append(block.shape[1:])
        self.out_rows = self.mats[-1][0] if self.mats else self.first_rows
        widest = max([self.first_rows, *(rows for rows, _ in self.mats)])
        self.rows = max(1, CHUNK_FLOATS // max(1, 4 * self.n * widest))
        self.index, self.sign = self.general.index, self.general.sign

    def _activate(self, h: torch.Tensor) -> torch.Tensor:
        """The activation of a hidden layer's (k, width + 1, n) output, its last row (the ones) left alone."""
        if self.relu:
            return h.relu_()
        body = h[:, :-1]
        if isinstance(self.act, nn.Module):
            body.copy_(self.act(body))
        else:
            self.act(body)
        return h

    @torch.no_grad()
    def __call__(self, coords: np.ndarray) -> np.ndarray:
        """(K,) float32 losses at ``coords`` (K, 2); NaN where a coordinate, or a weight, is not finite."""
        coords = np.asarray(coords, dtype=float).reshape(-1, 2)
        count, n = len(coords), self.n
        if not n or not count:
            return np.full(count, np.nan, dtype=np.float32)
        c = torch.empty(count, 3)  # [1 a b]
        c[:, 0], c[:, 1:] = 1.0, torch.from_numpy(coords)
        block = min(count, max(self.rows, PLANE_BLOCK))  # every buffer made once, then reused block by block
        mats = [torch.empty(block, *shape) for shape in self.mats]
        logits = torch.empty(block, self.out_rows, n)
        hidden = [torch.empty(self.rows, rows, n) for rows in [self.first_rows, *(r for r, _ in self.mats[:-1])]]
        loss = torch.empty(count)
        for start in range(0, count, block):
            cb = c[start:start + block]
            kb = len(cb)
            ws = [torch.mm(cb, w, out=m[:kb].view(kb, -1)).view(m[:kb].shape) for w, m in zip(self.weights, mats,
                                                                                                  strict=True)]
            for ck, *wk, out in zip(*(t.split(self.rows) for t in (cb, *ws, logits[:kb])), strict=True):
                k = len(ck)  # the buffers as they are, or their first k rows for the last chunk
                buffers = hidden if k == self.rows else [b[:k] for b in hidden]
                if not wk:
                    torch.mm(ck, self.first, out=out.view(k, -1))
                    continue
                h = buffers[0]
                torch.mm(ck, self.first, out=h.view(k, -1))
                for w, buffer in zip(wk[:-1], buffers[1:], strict=True):
                    h = torch.bmm(w, self._activate(h), out=buffer)
                torch.bmm(wk[-1], self._activate(h), out=out)
            loss[start:start + kb] = self._loss(logits[:kb])
        result = loss.numpy()
        result[~self._finite(coords)] = np.nan
        return result

    def _loss(self, h: torch.Tensor) -> torch.Tensor:
        """(K,) mean cross-entropy of the logits (K, classes, n), or of the margins (K, 1, n) with two classes."""
        if self.classes == 2:  # ℓ = log(1 + e^d), d = z_other − z_y = ±margin
            d = h.view(len(h), self.n).mul_(self.sign).clamp_min_(_EXP_FLOOR)
            return torch.nn.functional.softplus(d).mean(1)
        z = h - h.amax(1, keepdim=True)
        lse = z.clamp_min(_EXP_FLOOR).exp_().sum(1).log_()
        return (lse - z.gather(1, self.index.expand(len(h), 1, -1))[:, 0]).mean(1)

    def _finite(self, coords: np.ndarray) -> np.ndarray:
        """Whether each point's float32 weights are all finite (a far enough point overflows float32)."""
        ok = np.isfinite(coords).all(1)
        reach = np.abs(self.basis).max(1)
        bound = reach[0] + np.abs(np.where(ok[:, None], coords, 0.0)) @ reach[1:]
        with np.errstate(over="ignore", invalid="ignore"):
            for i in np.flatnonzero(ok & ~(bound < 1e38)):
                ok[i] = np.isfinite((self.basis[0] + coords[i] @ self.basis[1:]).astype(np.float32)).all()
        return ok


def losses(network: dict[str, Any], data: Data, thetas: np.ndarray) -> np.ndarray:
    """(K,) training-set loss of each weight vector in ``thetas`` (K, P) or (P,) (float32; NaN rows give NaN)."""
    thetas = np.atleast_2d(np.asarray(thetas, dtype=np.float32))
    return _chunked(_Losses(network, data), len(thetas), lambda start, stop: thetas[start:stop])


# ---------------------------------------------------------------------------------------------------------------
# Planes


@dataclass(frozen=True, eq=False)
class Plane:
    r"""The affine plane :math:`\theta(a, b) = o + a u + b v` in weight space, u and v orthonormal (float64).

    ``kind``: ``"pca"``, ``"random"`` or ``"three_point"``.  ``explained``: for PCA, the share of the runs' spread
    along u and along v (see :func:`pca_plane`); None otherwise.  ``extent``: the (a, b) ranges a picture should
    show by default.  ``anchors``: the (a, b) coordinates of the weights that defined the plane (the origin; for
    three points also θ_a and θ_b).  ``scale``: for the random plane, the length of Li et al.'s first direction
    (their α = 1 is a = scale); else 1.
    """

    kind: str
    origin: np.ndarray
    u: np.ndarray
    v: np.ndarray
    extent: Extent
    explained: tuple[float, float] | None = None
    anchors: tuple[tuple[float, float], ...] = ((0.0, 0.0),)
    scale: float = 1.0

    def points(self, coords: np.ndarray) -> np.ndarray:
        """(K, P) float32 weights :math:`o + a u + b v` at ``coords`` (K, 2) (computed in float64, then rounded)."""
        coords = np.asarray(coords, dtype=float).reshape(-1, 2)
        return (self.origin + coords @ np.stack([self.u, self.v])).astype(np.float32)

    def point(self, a: float, b: float) -> np.ndarray:
        """(P,) float32 weights at (a, b)."""
        return self.points(np.array([[a, b]]))[0]


def project(plane: Plane, thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Coordinates (K, 2) and distance (K,) of weights (K, P) or (P,) on ``plane``.

    :math:`(a, b) = \arg\min \|\theta - (o + a u + b v)\| = (u^\top(\theta - o),\, v^\top(\theta - o))` since u, v
    are orthonormal; the distance is that least residual.  Non-finite rows give NaN, not an error.
    """
    thetas = np.atleast_2d(np.asarray(thetas))
    basis, origin = torch.from_numpy(np.stack([plane.u, plane.v])), torch.from_numpy(plane.origin)
    coords, distance = np.empty((len(thetas), 2)), np.empty(len(thetas))
    rows = max(1, CHUNK_FLOATS // thetas.shape[1])  # float64 temporaries stay small
    for start in range(0, len(thetas), rows):
        centred = torch.from_numpy(np.asarray(thetas[start:start + rows], dtype=float)) - origin
        ab = centred @ basis.T
        coords[start:start + rows] = ab.numpy()
        distance[start:start + rows] = torch.linalg.vector_norm(centred - ab @ basis, dim=1).numpy()
    bad = ~np.isfinite(thetas).all(1)
    coords[bad], distance[bad] = np.nan, np.nan
    return coords, distance


def cover(coords: np.ndarray, margin: float = 0.15, minimum: float = 1e-3) -> Extent:
    """The (a, b) ranges holding every finite point of ``coords`` (K, 2), widened by ``margin`` × the larger span on
    each side (an axis spans at least ``minimum``, so a single point still gets a picture around it)."""
    coords = np.asarray(coords, dtype=float).reshape(-1, 2)
    coords = coords[np.isfinite(coords).all(1)]
    if not len(coords):
        return ((-1.0, 1.0), (-1.0, 1.0))
    low, high = coords.min(0), coords.max(0)
    pad = margin * max(float((high - low).max()), minimum)
    centre, half = (low + high) / 2, np.maximum((high - low) / 2, minimum / 2) + pad
    return ((float(centre[0] - half[0]), float(centre[0] + half[0])),
            (float(centre[1] - half[1]), float(centre[1] + half[1])))


def paths_extent(plane: Plane, paths: Sequence[np.ndarray], margin: float = 0.15) -> Extent:
    """The (a, b) ranges showing every path's projection (K, P) on ``plane`` and the plane's anchors, with a margin:
    what to pass to :func:`grid_losses` so that no path leaves the picture."""
    coords = [project(plane, path)[0] for path in paths]
    return cover(np.vstack([*coords, np.asarray(plane.anchors, dtype=float)]), margin)


def _orthonormal(d1: np.ndarray, d2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gram–Schmidt: u ∥ d1, v ⟂ u in span(d1, d2), both of unit length; ValueError if d1, d2 are parallel."""
    n1 = float(np.linalg.norm(d1))
    if not n1 > 0:
        raise ValueError("the plane's first direction is zero")
    u = d1 / n1
    w = d2 - (u @ d2) * u
    w = w - (u @ w) * u  # a second pass: orthogonal to rounding error even when d2 is nearly parallel to d1
    n2 = float(np.linalg.norm(w))
    if not n2 > 1e-12 * float(np.linalg.norm(d2)):
        raise ValueError("the plane's two directions are parallel")
    return u, w / n2


def _finite_rows(theta: np.ndarray) -> np.ndarray:
    theta = np.atleast_2d(np.asarray(theta, dtype=float))
    return theta[np.isfinite(theta).all(1)]


def pca_plane(trajectories: Sequence[np.ndarray], origin: np.ndarray | None = None, seed: int = 0) -> Plane:
    r"""The plane of the two principal directions of several runs' weights together (one plane for all runs).

    The rows are every finite weight vector of every run (a diverged run's weights up to ``diverged_at``),
    :math:`X = [\theta_{r,t} - o]` (N, P).  The origin o is the runs' **common initial weights** θ₀ when they all
    start from the same weights (every run of one network does: ``init_seed``) — so every path starts at (0, 0)
    on the picture, exactly in the plane, and the plane is the best one through θ₀ — otherwise (or with
    ``origin`` given) the mean of the rows or that origin.  The axes u, v are the top two right singular vectors
    of X: the plane through o that is nearest to all the rows (least summed squared distance), and

    .. math:: \text{explained}_i = \frac{\|X u_i\|^2}{\|X\|_F^2} = \frac{\sigma_i^2}{\sum_j \sigma_j^2},

    the share of the rows' summed squared distance from o that lies along each axis (with the mean as o, the usual
    explained-variance ratio); sorted, each in [0, 1], sum ≤ 1.  (Li et al. 2018 use the PCA of one run's weights
    about its final weights; a shared θ₀ lets several optimizers be compared on one plane.)

    The two vectors come from subspace iteration (10 vectors, 6 rounds, Rayleigh–Ritz; seeded), so no P × P matrix
    is made; the explained shares are computed exactly for the vectors returned.  Beyond ``PCA_MAX_FLOATS`` numbers
    the rows are thinned evenly along each run (first and last kept).
    """
    runs = [_finite_rows(t) for t in trajectories]
    runs = [r for r in runs if len(r)]
    if not runs:
        raise ValueError("no finite weights to make a plane from")
    P = runs[0].shape[1]
    if any(r.shape[1] != P for r in runs):
        raise ValueError("the runs' weight vectors have different lengths")
    total_rows = sum(len(r) for r in runs)
    if total_rows * P > PCA_MAX_FLOATS:
        keep = max(2, PCA_MAX_FLOATS // (P * len(runs)))
        runs = [r[np.unique(np.linspace(0, len(r) - 1, min(keep, len(r))).round().astype(int))] for r in runs]
    if origin is None:
        starts = np.stack([r[0] for r in runs])
        same_start = all(len(t) and np.isfinite(t[0]).all() for t in trajectories) and np.all(starts == starts[0])
        origin = starts[0] if same_start else np.concatenate(runs).mean(0)
    o = np.asarray(origin, dtype=float)
    X = torch.from_numpy(np.concatenate(runs) - o)
    total = float((X * X).sum())
    generator = torch.Generator().manual_seed(seed)
    basis = torch.randn(P, min(10, P), dtype=X.dtype, generator=generator)
    for _ in range(6):
        basis = torch.linalg.qr(X.T @ (X @ basis)).Q
    projected = X @ basis
    _, vectors = torch.linalg.eigh(projected.T @ projected)
    top = (basis @ vectors.flip(1)[:, :2]).numpy()
    u, v = _orthonormal(top[:, 0], top[:, 1])
    spread = [float(((X @ torch.from_numpy(w)) ** 2).sum()) for w in (u, v)]
    explained = (spread[0] / total, spread[1] / total) if total > 0 else (0.0, 0.0)
    coords = (X @ torch.from_numpy(np.stack([u, v])).T).numpy()
    return Plane("pca", o, u, v, extent=cover(np.vstack([coords, [[0.0, 0.0]]])), explained=explained)


def filter_normalized(direction: np.ndarray, theta: np.ndarray, shapes: Sequence[tuple[int, ...]]) -> np.ndarray:
    r"""Li et al.'s filter normalisation of a direction d for the weights θ.

    For each Linear layer's weight matrix, each filter — row i, output unit i's incoming weights — is rescaled to
    the norm of the same row of θ: :math:`d_{i} \leftarrow d_{i}\,\|\theta_{i}\| / \|d_{i}\|`.  Biases are set to
    zero (their "ignore biases" choice: the plane moves weights only).  ``shapes``: :func:`layer_shapes`.
    """
    d, w = np.asarray(direction, dtype=float).copy(), np.asarray(theta, dtype=float)
    start = 0
    for shape in shapes:
        size = int(np.prod(shape))
        if len(shape) == 1:
            d[start:start + size] = 0.0
        else:
            rows, ref = d[start:start + size].reshape(shape), w[start:start + size].reshape(shape)
            norms = np.linalg.norm(rows, axis=1, keepdims=True)
            rows *= np.linalg.norm(ref, axis=1, keepdims=True) / np.where(norms > 0, norms, 1.0)
        start += size
    return d


def random_plane(network: dict[str, Any], classes: int, theta: np.ndarray, seed: int = 0) -> Plane:
    r"""A random plane through the weights θ (a run's final weights), as in Li et al. 2018, "Visualizing the Loss
    Landscape of Neural Nets": two Gaussian directions (``numpy.random.default_rng(seed)``), each filter-normalised
    (:func:`filter_normalized`: each unit's incoming weights as long as θ's, biases zero).

    Li et al. draw :math:`L(\theta + \alpha d_1 + \beta d_2)` on the non-orthogonal (d₁, d₂).  Here the same plane
    (the same set of weights) gets orthonormal axes by Gram–Schmidt, u = d₁/‖d₁‖ and v ⟂ u in span(d₁, d₂), so
    that projections, distances and the other planes all measure in the same Euclidean units; in P dimensions two
    random directions are nearly orthogonal anyway.  ``scale`` = ‖d₁‖ (Li et al.'s α = 1 is a = scale, about the
    norm of the weight matrices); the default extent is a, b ∈ [−scale, scale], their usual α, β ∈ [−1, 1].
    """
    theta = np.asarray(theta, dtype=float)
    shapes = layer_shapes(network, classes)
    if theta.shape != (sum(int(np.prod(s)) for s in shapes),) or not np.isfinite(theta).all():
        raise ValueError("random_plane needs one finite weight vector of the network")
    rng = np.random.default_rng(seed)
    d1, d2 = (filter_normalized(rng.standard_normal(len(theta)), theta, shapes) for _ in range(2))
    u, v = _orthonormal(d1, d2)
    scale = float(np.linalg.norm(d1))
    return Plane("random", theta, u, v, extent=((-scale, scale), (-scale, scale)), scale=scale)


def three_point_plane(theta0: np.ndarray, theta_a: np.ndarray, theta_b: np.ndarray) -> Plane:
    r"""The plane through three weight vectors — the initial weights θ₀ and two runs' final weights θ_a, θ_b.

    Origin θ₀, u = (θ_a − θ₀)/‖θ_a − θ₀‖, v the Gram–Schmidt rest of θ_b − θ₀.  All three lie in the plane
    (distance 0): θ₀ at (0, 0), θ_a at (‖θ_a − θ₀‖, 0), θ_b at (u·(θ_b − θ₀), v·(θ_b − θ₀)) — ``anchors`` — and
    the plane's loss there is their true loss.  ValueError if the three lie on one line.
    """
    o, a, b = (np.asarray(t, dtype=float) for t in (theta0, theta_a, theta_b))
    if not all(np.isfinite(t).all() for t in (o, a, b)):
        raise ValueError("three_point_plane needs finite weights")
    u, v = _orthonormal(a - o, b - o)
    plane = Plane("three_point", o, u, v, extent=((-1.0, 1.0), (-1.0, 1.0)))
    coords, _ = project(plane, np.stack([o, a, b]))
    coords[0] = 0.0
    coords[1, 1] = 0.0  # exactly: u ∥ θ_a − θ₀
    anchors = tuple((float(p), float(q)) for p, q in coords)
    return Plane("three_point", o, u, v, extent=cover(coords, margin=0.25), anchors=anchors)


# ---------------------------------------------------------------------------------------------------------------
# Losses on a plane and on a line


def plane_losses(network: dict[str, Any], data: Data, plane: Plane, coords: np.ndarray) -> np.ndarray:
    """(K,) training-set loss at the plane's points ``coords`` (K, 2) (NaN where a coordinate is NaN); the
    weight vectors are made chunk by chunk, so memory stays bounded however many points are asked for."""
    return _PlaneLosses(network, data, plane.origin, plane.u, plane.v)(coords)


def grid_losses(network: dict[str, Any], data: Data, plane: Plane, extent: Extent | None = None,
                n: int = 41) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The training-set loss on an n × n grid of the plane: (a (n,), b (n,), loss (n, n)) with ``loss[j, i]`` at
    (a[i], b[j]) — rows follow b, as a contour plot's z.  ``extent``: ((a_min, a_max), (b_min, b_max)), default
    ``plane.extent`` (:func:`paths_extent` widens it to every projected path).  All n² points in one batched call."""
    (a0, a1), (b0, b1) = plane.extent if extent is None else extent
    a, b = np.linspace(a0, a1, n), np.linspace(b0, b1, n)
    aa, bb = np.meshgrid(a, b)
    return a, b, plane_losses(network, data, plane, np.c_[aa.ravel(), bb.ravel()]).reshape(n, n)


@dataclass(frozen=True)
class PathOnPlane:
    """A run's path against a plane, per step: its coordinates (steps+1, 2), its true training-set loss, the loss
    of the plane at its projected point, and its distance from the plane (NaN from ``diverged_at`` on)."""

    coords: np.ndarray
    true_loss: np.ndarray
    plane_loss: np.ndarray
    distance: np.ndarray


def path_vs_plane(network: dict[str, Any], data: Data, plane: Plane, theta_path: np.ndarray) -> PathOnPlane:
    r"""For each step t: :math:`L(\theta_t)`, :math:`L(o + a_t u + b_t v)` at its projection, and
    :math:`\|\theta_t - (o + a_t u + b_t v)\|`.  Both losses come from the same batched forward (:func:`losses`),
    so where the path lies in the plane they agree to float32 rounding, and any gap is the slice's doing."""
    coords, distance = project(plane, theta_path)
    true = losses(network, data, np.atleast_2d(theta_path))
    return PathOnPlane(coords, true, plane_losses(network, data, plane, coords), distance)


def line_losses(network: dict[str, Any], data: Data, theta0: np.ndarray, theta1: np.ndarray, n: int = 61,
                alpha_range: tuple[float, float] = LINE_RANGE) -> tuple[np.ndarray, np.ndarray]:
    r"""The training-set loss on the straight line :math:`\theta_0 + \alpha(\theta_1 - \theta_0)`: (α (n,), loss (n,)).

    α runs over ``alpha_range``, by default [−0.25, 1.25] — the segment from the initial weights (α = 0) to a run's
    final weights (α = 1) and a quarter of its length beyond each end: the linear-interpolation view of Goodfellow
    et al. 2015 ("Qualitatively characterizing neural network optimization problems").  A bump on the segment is a
    barrier on the straight way from θ₀ to θ₁, whichever way the run itself went; a curve falling all the way means
    the straight way down was open.  α = 0 and α = 1 are always on the grid and give θ₀ and θ₁ exactly.
    """
    lo, hi = alpha_range
    alpha = np.linspace(lo, hi, n)
    for end in (0.0, 1.0):
        if lo <= end <= hi:
            near = np.isclose(alpha, end, rtol=0.0, atol=1e-9 * (hi - lo))
            alpha = np.sort(np.r_[alpha[~near], end]) if not near.any() else np.where(near, end, alpha)
    t0, t1 = np.asarray(theta0, dtype=float), np.asarray(theta1, dtype=float)
    line = _PlaneLosses(network, data, t0, t1 - t0, np.zeros_like(t0))
    return alpha, line(np.c_[alpha, np.zeros_like(alpha)])


@dataclass(frozen=True)
class Slice:
    """The loss on a plane's grid, shaped as `viz.player_data.surface_layer` reads a surface (bounds, grid, log
    scale, minima): the landscape player draws its contours like a surface's."""

    a: np.ndarray
    b: np.ndarray
    loss: np.ndarray
    bounds: tuple
    log_scale: bool = True
    minima: tuple = ()

    def grid(self, n: int):
        del n  # computed once, at its own size
        return torch.from_numpy(self.a), torch.from_numpy(self.b), torch.from_numpy(np.asarray(self.loss, float))
