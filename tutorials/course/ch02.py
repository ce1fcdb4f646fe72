"""Chapter 2's exercises: the causal mask, a padded decoder's mask, and the masked softmax.

Each check compares the learner's function with the package's own code (``causal_mask``,
``padding_mask``, ``attention_probs`` of ``minisora.nn.attention``) on several inputs, edge cases
included: one token, rows padded on either side, a query that may see nothing, and a masked key
whose score is enormous.
"""

from __future__ import annotations

import numpy as np

from course import NotYet, check


def _as_mask(got, shape, what):
    got = np.asarray(got)
    if got.shape != shape:
        raise NotYet(f"{what} should have shape {shape}, yours has {got.shape}.")
    if got.dtype != bool and not np.isin(got, (0, 1)).all():
        raise NotYet(f"{what} should hold True/False (or 1/0), yours holds other values.")
    return got.astype(bool)


def _grid(m) -> str:
    return "\n".join(" ".join("x" if v else "." for v in row) for row in np.asarray(m))


def check_causal(causal) -> bool:
    """``causal(T)`` (T, T) against ``causal_mask(T)[0, 0]`` for T = 1 … 7."""
    from minisora.nn.attention import causal_mask

    def test():
        for T in range(1, 8):
            want = np.asarray(causal_mask(T)[0, 0])
            got = _as_mask(causal(T), (T, T), f"causal({T})")
            if not (got == want).all():
                raise NotYet(f"for T = {T}, query t must see keys 0 … t (itself included); expected\n{_grid(want)}\n"
                             f"got\n{_grid(got)}")

    return check("the causal mask", test)


def check_decoder_mask(decoder_mask) -> bool:
    """``decoder_mask(token_mask)`` (B, T, T) against ``(causal_mask(T) & padding_mask(token_mask))[:, 0]``."""
    from minisora.nn.attention import causal_mask, padding_mask

    def test():
        cases = {
            "left padding": [[0, 0, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]],
            "right padding": [[1, 1, 1, 0, 0], [1, 1, 1, 1, 0]],
            "no padding, one row": [[1, 1, 1, 1]],
            "one token": [[1]],
        }
        for name, rows in cases.items():
            m = np.asarray(rows, np.int32)
            B, T = m.shape
            want = np.asarray(causal_mask(T) & padding_mask(m))[:, 0]
            got = _as_mask(decoder_mask(m.copy()), (B, T, T), f"decoder_mask of a ({B}, {T}) token mask")
            for b in range(B):
                if not (got[b] == want[b]).all():
                    raise NotYet(f"with {name}, token mask {rows[b]}: a query sees the real keys at or before it "
                                 f"(the pads are keys no one reads); expected\n{_grid(want[b])}\ngot\n{_grid(got[b])}")

    return check("a padded decoder's mask", test)


def check_masked_softmax(masked_softmax) -> bool:
    """``masked_softmax(scores, mask)`` against ``attention_probs``.

    attention_probs(q, k, mask) is softmax(q kᵀ/√D, masked); with q = scores and k = √D·I
    (D = Tk) that is softmax(scores, masked), the package's own rule for masked keys and for a
    query that may see nothing.
    """
    import jax.numpy as jnp

    from minisora.nn.attention import attention_probs

    def reference(scores, mask):
        Tk = scores.shape[-1]
        k = np.sqrt(Tk) * np.eye(Tk)
        return np.asarray(attention_probs(jnp.asarray(scores, jnp.float32), jnp.asarray(k, jnp.float32),
                                          jnp.asarray(mask)))

    def test():
        rng = np.random.default_rng(2)
        cases = []
        for shape in ((4, 4), (3, 5), (2, 3, 6)):
            scores = (2 * rng.normal(size=shape)).astype(np.float32)
            cases.append(("random scores, nothing masked", scores, np.ones(shape, bool)))
            mask = rng.random(shape) < 0.6
            mask[..., 0] = True
            cases.append(("random scores, some keys masked", scores, mask))
        tri = np.tril(np.ones((5, 5), bool))
        cases.append(("a causal mask", rng.normal(size=(5, 5)).astype(np.float32), tri))
        blind = np.ones((3, 4), bool)
        blind[1] = False
        cases.append(("a query that may see no key (its row must be uniform, not NaN)",
                      rng.normal(size=(3, 4)).astype(np.float32), blind))
        huge = np.array([[1e10, 0.0, 0.0], [0.0, 1.0, 2.0]], np.float32)
        cases.append(("a masked key scoring 1e10", huge, np.array([[False, True, True], [True, True, True]])))
        for name, scores, mask in cases:
            want = reference(scores, mask)
            with np.errstate(all="ignore"):
                got = np.asarray(masked_softmax(scores.copy(), mask.copy()), np.float64)
            if got.shape != want.shape:
                raise NotYet(f"with {name}: the weights should have the scores' shape {want.shape}, "
                             f"yours have {got.shape}.")
            if not np.isfinite(got).all():
                raise NotYet(f"with {name}: your weights hold NaN or inf.")
            if ((got != 0) & ~mask & mask.any(-1, keepdims=True)).any():  # rows that see something
                raise NotYet(f"with {name}: a masked key must get weight exactly 0.")
            if not np.allclose(got, want, atol=1e-5):
                i = np.unravel_index(np.abs(got - want).argmax(), want.shape)[:-1]
                raise NotYet(f"with {name}: row {tuple(map(int, i))} should be {np.round(want[i], 4).tolist()}, "
                             f"yours is {np.round(got[i], 4).tolist()}.")

    return check("the masked softmax", test)
