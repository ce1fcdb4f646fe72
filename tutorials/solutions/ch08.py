"""Reference solutions of chapter 8's exercises."""

import numpy as np


def top_k_filter(z, k):
    """z with every logit below the k-th largest set to -inf (tokens tied with the k-th stay)."""
    threshold = np.sort(z)[::-1][k - 1]  # the k-th largest logit
    return np.where(z >= threshold, z, -np.inf)


def nucleus(p, top_p):
    """The ids of the smallest most-likely-first set whose mass reaches ``top_p`` (ties with its last kept)."""
    order = np.argsort(-p, kind="stable")
    mass_before = np.cumsum(p[order]) - p[order]  # Σ_{j<i} p_(j)
    n = max(int(np.sum(mass_before < top_p)), 1)  # rank i is kept while the mass before it is short of top_p
    return np.flatnonzero(p >= p[order][n - 1]).tolist()


def with_temperature(z, T):
    """softmax(z / T); T = 0 puts all the mass on the argmax (greedy)."""
    if T == 0:
        return np.eye(len(z))[np.argmax(z)]
    e = np.exp((z - z.max()) / T)  # the largest exponent is 0: no overflow
    return e / e.sum()
