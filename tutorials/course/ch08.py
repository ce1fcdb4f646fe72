"""Chapter 8's exercises: top-k, the top-p nucleus and temperature, each against
``minisora.inference.sampling`` (the functions every decoding path in minisora calls)."""

from __future__ import annotations

import numpy as np

from course import NotYet, check


def filtered(z, top_k, top_p) -> np.ndarray:
    """The package's answer: ``sampling.filter_logits`` on one row of logits."""
    from minisora.inference import sampling

    return np.asarray(sampling.filter_logits(np.asarray(z, np.float32)[None], top_k, top_p))[0]


def check_top_k_filter(top_k_filter) -> bool:
    """``top_k_filter(z, k)`` -> z with every logit outside the k largest at -inf (ties with the k-th kept)."""

    def test():
        rng = np.random.default_rng(8)
        cases = [
            (np.array([2.0, 0.5, 1.0, -1.0, 3.0]), 2),
            (np.array([2.0, 0.5, 1.0, -1.0, 3.0]), 1),
            (np.array([2.0, 0.5, 1.0, -1.0, 3.0]), 5),  # k = V keeps everything
            (np.array([1.0, 2.0, 2.0, 0.0]), 2),  # the two 2s
            (np.array([1.0, 2.0, 2.0, 0.0]), 1),  # a tie at the threshold: both 2s stay
            *((rng.normal(size=12), int(k)) for k in rng.integers(1, 12, size=4)),
        ]
        for z, k in cases:
            want = filtered(z, k, 1.0)
            got = np.asarray(top_k_filter(z.copy(), k), np.float64)
            if got.shape != z.shape:
                raise NotYet(f"the result must have the logits' shape {z.shape}, yours has {got.shape}.")
            if not np.array_equal(np.isfinite(got), np.isfinite(want)):
                raise NotYet(
                    f"top-{k} of z = {np.round(z, 2).tolist()} keeps tokens "
                    f"{np.flatnonzero(np.isfinite(want)).tolist()}, yours keeps "
                    f"{np.flatnonzero(np.isfinite(got)).tolist()}."
                )
            if not np.allclose(got[np.isfinite(got)], z[np.isfinite(want)], rtol=1e-6):
                raise NotYet("the kept logits must keep their values (only the others become -inf).")
            if not np.all(np.isneginf(got[~np.isfinite(want)])):
                raise NotYet("the tokens top-k drops must have the logit -inf (probability 0), not another value.")

    return check("top-k filter", test)


def check_nucleus(nucleus) -> bool:
    """``nucleus(p, top_p)`` -> the token ids top-p keeps (any order)."""

    def test():
        rng = np.random.default_rng(9)
        article = np.array([0.5, 0.2, 0.15, 0.1, 0.05])
        cases = [
            (article, 0.6),
            (article, 0.86),
            (article, 1.0),
            (article, 0.01),
            (np.array([0.4, 0.3, 0.3]), 0.5),
        ]  # a tie at the edge of the nucleus: both 0.3s stay
        while len(cases) < 12:
            p, top_p = rng.dirichlet(np.ones(8)), float(rng.uniform(0.2, 0.95))
            if np.min(np.abs(np.cumsum(np.sort(p)[::-1]) - top_p)) > 1e-3:  # not on a float-rounding edge
                cases.append((p, top_p))
        for p, top_p in cases:
            want = np.flatnonzero(np.isfinite(filtered(np.log(p), len(p), top_p))).tolist()
            got = sorted(int(i) for i in nucleus(p.copy(), top_p))
            if got != want:
                raise NotYet(
                    f"for p = {np.round(p, 3).tolist()} and top_p = {top_p:.3g} the nucleus is {want}, yours is {got}."
                )

    return check("top-p nucleus", test)


def check_temperature(with_temperature) -> bool:
    """``with_temperature(z, T)`` -> softmax(z / T); T = 0 -> all the mass on the argmax (greedy)."""
    import jax
    import jax.numpy as jnp

    from minisora.inference import sampling

    def test():
        rng = np.random.default_rng(10)
        cases = [(rng.normal(size=6), T) for T in (1.0, 0.5, 2.0, 10.0, 0.05)]
        cases += [
            (np.array([1000.0, 999.0, 990.0]), 1.0),  # large logits: exp(1000) overflows
            (np.array([1.0, 3.0, 2.0]), 0.0),
        ]  # greedy
        for z, T in cases:
            got = np.asarray(with_temperature(z.copy(), T), np.float64)
            if T > 0:
                want = np.asarray(jax.nn.softmax(jnp.asarray(z, jnp.float32) / T), np.float64)
            else:
                want = np.eye(len(z))[int(sampling.greedy(jnp.asarray(z)[None])[0])]
            if got.shape != z.shape:
                raise NotYet(f"the result must have the logits' shape {z.shape}, yours has {got.shape}.")
            if not np.all(np.isfinite(got)):
                raise NotYet(
                    f"for z = {np.round(z, 2).tolist()} at T = {T} your probabilities are not finite "
                    f"({got.tolist()}); subtract the largest logit before exp."
                )
            if not np.allclose(got, want, atol=1e-5):
                raise NotYet(
                    f"for z = {np.round(z, 2).tolist()} at T = {T} the probabilities are "
                    f"{np.round(want, 4).tolist()}, yours are {np.round(got, 4).tolist()}."
                )

    return check("temperature", test)
