"""Chapter 6's exercises: the article's sequence loss by hand, cross-entropy with a mask, and bits
per byte.

Each check compares the learner's function with a closed form (−Σ ln p) or the package's own code
(``minisora.training.losses.cross_entropy`` and ``bits_per_byte``) on several inputs, edge cases
included.
"""

from __future__ import annotations

import math

import numpy as np

from course import NotYet, check

# the article's two tokens, one token, a sure model, nothing to predict, a long unsure sequence, near-misses
SEQUENCES = ([0.6, 0.4], [0.6], [1.0, 1.0, 1.0], [], [0.5] * 10, [0.9, 0.01, 0.3, 0.999])


def check_sequence_loss(sequence_loss) -> bool:
    """``sequence_loss(p_right)`` against −Σ_t ln p_t."""

    def test():
        for p_right in SEQUENCES:
            want = math.fsum(-math.log(p) for p in p_right)
            got = float(sequence_loss(list(p_right)))
            if not math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-9):
                hint = " (the article's 0.51 is only the first term)" if p_right == [0.6, 0.4] else ""
                raise NotYet(f"for right-token probabilities {p_right} the loss is {want:.4f} nats, "
                             f"yours is {got:.4f}{hint}.")

    return check("the article's sequence loss", test)


def check_masked_cross_entropy(masked_cross_entropy) -> bool:
    """``masked_cross_entropy(logits, targets, weights)`` against ``losses.cross_entropy``."""
    import jax.numpy as jnp

    from minisora.training import losses

    def test():
        rng = np.random.default_rng(6)
        cases = []
        for shape in ((5,), (3, 4), (2, 6)):
            z = (3 * rng.normal(size=(*shape, 11))).astype(np.float32)
            y = rng.integers(0, 11, size=shape)
            cases += [("every token counting", z, y, np.ones(shape, np.float32)),
                      ("some tokens masked", z, y, (rng.random(shape) < 0.5).astype(np.float32)),
                      ("no token counting", z, y, np.zeros(shape, np.float32))]
        z_big = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0]], np.float32)
        cases.append(("logits of ±1000", z_big, np.array([1, 1]), np.array([1.0, 1.0], np.float32)))
        for name, z, y, w in cases:
            want = float(losses.cross_entropy(jnp.asarray(z), jnp.asarray(y), jnp.asarray(w)))
            got = float(masked_cross_entropy(z.copy(), y.copy(), w.copy()))
            if not np.isfinite(got) or not math.isclose(got, want, rel_tol=1e-4, abs_tol=1e-5):
                raise NotYet(f"with {name} (logits {z.shape}, {int(w.sum())} of {w.size} tokens counting) the "
                             f"loss is {want:.4f} nats/token, yours is {got:.4f}.")

    return check("cross-entropy with a mask", test)


def check_bits_per_byte(bits_per_byte_of) -> bool:
    """``bits_per_byte_of(token_nats, text)`` against ``losses.bits_per_byte(Σ nats, UTF-8 bytes)``."""
    from minisora.training import losses

    def test():
        rng = np.random.default_rng(1)
        for text in ("If your eyes are tired, look at something far away.", "我的账户为什么不能登录？",
                     "中文 and English", "a"):
            token_nats = rng.uniform(0.1, 5.0, size=max(1, len(text) // 2)).tolist()
            want = losses.bits_per_byte(math.fsum(token_nats), len(text.encode("utf-8")))
            got = float(bits_per_byte_of(list(token_nats), text))
            if not math.isclose(got, want, rel_tol=1e-6):
                raise NotYet(f"{len(token_nats)} tokens with {math.fsum(token_nats):.3f} nats in all, spelling "
                             f"{text!r} ({len(text.encode())} bytes), are {want:.4f} bits/byte; yours is {got:.4f}.")
        try:
            bits_per_byte_of([1.0], "")
        except ValueError:
            return
        raise NotYet("a text with no bytes has no bits per byte: raise ValueError for it.")

    return check("bits per byte", test)
