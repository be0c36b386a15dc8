"""A small statistical reader of a message's action: character n-grams and logistic regression.

Issue 17 asks whether a learned action classifier, used with the hand-written rules
(``nadhir.intake.text.MessageReader``), reads real messages it never saw better than the
rules alone (``benchmarks/reader_generalisation.py`` measures it). It did not clearly (docs/
benchmarks.md, "Twelfth session, a learned reader"), so it lives here beside its benchmark,
not in the product.

Why plain numpy and scipy, not scikit-learn: the model is a multinomial logistic regression
over the hashed character 2- to 5-grams of the normalised text (Arabic folded as the
gazetteer folds it, Latin lower-cased, every digit written ``0`` so that "14 raids" and "20
raids" share their n-grams), with an L2 penalty, fitted by scipy's L-BFGS. That is some sixty
lines here against a new pinned dependency of tens of megabytes for one estimator; both
numpy and scipy are already pinned for the tracker. Hashing (2**18 buckets) keeps the model a
fixed-size array with no vocabulary to ship. It is deterministic: same rows, same weights.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.optimize import minimize

from nadhir.geo.names import normalise

# The classes the model says, as the reader's (kind, action) pairs.
CLASSES: tuple[str, ...] = ("takeoff", "transit", "circling", "striking", "leaving", "summary", "take_cover")
BUCKETS = 1 << 18
NGRAMS = (2, 5)


def normalised(text: str) -> str:
    """The text the n-grams are taken from: folded, lower case, digits as ``0``."""
    key = normalise(text)
    return "".join("0" if ch.isdigit() else ch for ch in key)


def _features(text: str) -> dict[int, float]:
    """Hashed character n-grams of one text, each counted once per word-padded text (binary)."""
    padded = f" {normalised(text)} "
    out: dict[int, float] = {}
    lo, hi = NGRAMS
    for n in range(lo, hi + 1):
        for i in range(len(padded) - n + 1):
            gram = padded[i : i + n]
            out[zlib.crc32(gram.encode("utf-8")) % BUCKETS] = 1.0
    return out


def design(texts: Sequence[str]) -> sparse.csr_matrix:
    """The rows' feature matrix, each row scaled to unit length (so long texts weigh no more)."""
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for r, text in enumerate(texts):
        feats = _features(text)
        scale = 1.0 / np.sqrt(len(feats)) if feats else 0.0
        for c in sorted(feats):
            rows.append(r)
            cols.append(c)
            vals.append(scale)
    return sparse.csr_matrix((vals, (rows, cols)), shape=(len(texts), BUCKETS), dtype=np.float64)


@dataclass(frozen=True)
class ActionModel:
    """Fitted weights (buckets x classes) and biases; :meth:`proba` gives each class's chance."""

    weights: NDArray[np.float64]
    bias: NDArray[np.float64]
    classes: tuple[str, ...] = CLASSES

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[str], l2: float = 1e-3) -> ActionModel:
        """Fit on texts labelled with one of :data:`CLASSES` (mean log-loss plus ``l2``·|w|²)."""
        x = design(texts)
        y = np.array([CLASSES.index(label) for label in labels])
        n, k = len(y), len(CLASSES)
        onehot = np.zeros((n, k))
        onehot[np.arange(n), y] = 1.0
        used = np.unique(x.indices)  # fit only the buckets some row has: the rest stay 0
        xu = x[:, used]

        def loss(theta: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
            w = theta[: len(used) * k].reshape(len(used), k)
            b = theta[len(used) * k :]
            z = xu @ w + b
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            value = -float(np.sum(onehot * np.log(p + 1e-300))) / n + l2 * float(np.sum(w * w))
            d = (p - onehot) / n
            gw = xu.T @ d + 2 * l2 * w
            return value, np.concatenate([np.asarray(gw).ravel(), d.sum(axis=0)])

        theta0 = np.zeros(len(used) * k + k)
        res = minimize(loss, theta0, jac=True, method="L-BFGS-B", options={"maxiter": 500})
        weights = np.zeros((BUCKETS, k))
        weights[used] = res.x[: len(used) * k].reshape(len(used), k)
        return cls(weights=weights, bias=res.x[len(used) * k :].copy())

    def proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Each text's probability of each class (rows sum to 1)."""
        z = design(texts) @ self.weights + self.bias
        z -= z.max(axis=1, keepdims=True)
        p: NDArray[np.float64] = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)
