"""Chapter 4's exercises: one LSTM step from the gate equations, and Sora's attention over the prompt.

The first check runs the package's ``LSTMCell`` holding the very weights it gives the learner's
function, over several steps (so an error in the memory carries on); the second compares with
``attention_probs`` (the softmax Sora's decoder uses) and the weighted sum of the encoder outputs.
"""

from __future__ import annotations

import numpy as np

from course import NotYet, check


def check_lstm_step(lstm_step) -> bool:
    """``lstm_step(W, U, b, h_prev, c_prev, x_t) -> (h_t, c_t)`` against ``LSTMCell`` with those weights."""
    import jax
    import jax.numpy as jnp
    from flax import nnx

    from minisora.nn.lstm import LSTMCell

    def test():
        for seed, (B, D, H, steps) in enumerate([(2, 3, 4, 5), (1, 8, 16, 3), (3, 1, 1, 4)]):
            cell = LSTMCell(D, H, rngs=nnx.Rngs(seed))
            key = jax.random.key(10 + seed)
            # a bias that is not the initial one, so every gate's slice of b matters
            cell.h_gates.bias[...] = cell.h_gates.bias[...] + jax.random.normal(key, (4 * H,))
            W, U, b = (np.asarray(a) for a in (cell.x_gates.kernel[...], cell.h_gates.kernel[...],
                                               cell.h_gates.bias[...]))
            xs = np.asarray(jax.random.normal(jax.random.fold_in(key, 1), (steps, B, D)))
            carry = (jnp.zeros((B, H)), 0.5 * jnp.ones((B, H)))  # a non-zero first memory
            h, c = (np.asarray(a) for a in carry)
            for t in range(steps):
                carry, _ = cell(carry, jnp.asarray(xs[t]))
                got = lstm_step(W.copy(), U.copy(), b.copy(), h, c, xs[t].copy())
                if not (isinstance(got, tuple) and len(got) == 2):
                    raise NotYet("return the pair (h_t, c_t).")
                h, c = (np.asarray(a, np.float64) for a in got)
                for name, mine, want in (("c_t", c, carry[1]), ("h_t", h, carry[0])):
                    if mine.shape != want.shape or not np.allclose(mine, want, atol=1e-5):
                        raise NotYet(f"with D = {D}, H = {H}, step {t + 1}: {name} should be "
                                     f"{np.round(np.asarray(want)[0, :4], 4).tolist()}…, yours is "
                                     f"{np.round(mine.reshape(want.shape[0], -1)[0, :4], 4).tolist()}…"
                                     " (gate order i, f, g, o; g uses tanh, the others σ).")

    return check("one LSTM step", test)


def check_attend(attend) -> bool:
    """``attend(h_t, keys, enc, enc_mask) -> (alpha, ctx)`` against ``attention_probs`` and Σ_s α_s e_s."""
    import jax.numpy as jnp

    from minisora.nn.attention import attention_probs

    def test():
        rng = np.random.default_rng(4)
        for B, S, H, C in ((2, 5, 4, 3), (1, 1, 8, 2), (3, 7, 16, 6)):
            h = rng.normal(size=(B, H)).astype(np.float32)
            keys = (2 * rng.normal(size=(B, S, H))).astype(np.float32)
            enc = rng.normal(size=(B, S, C)).astype(np.float32)
            mask = np.ones((B, S), np.int32)
            mask[0, : S // 2] = 0  # row 0 is a left-padded prompt
            want_alpha = np.asarray(attention_probs(jnp.asarray(h)[:, None], jnp.asarray(keys),
                                                    jnp.asarray(mask, bool)[:, None]))[:, 0]  # (B, S)
            want_ctx = np.einsum("bs,bsc->bc", want_alpha, enc)
            got = attend(h.copy(), keys.copy(), enc.copy(), mask.copy())
            if not (isinstance(got, tuple) and len(got) == 2):
                raise NotYet("return the pair (alpha, ctx).")
            alpha, ctx = (np.asarray(a, np.float64) for a in got)
            if alpha.shape != (B, S):
                raise NotYet(f"alpha should have shape (B, S) = {(B, S)}, yours has {alpha.shape}.")
            if (alpha[mask == 0] != 0).any():
                raise NotYet("a padded prompt token (enc_mask = 0) must get weight exactly 0.")
            if not np.allclose(alpha, want_alpha, atol=1e-5):
                raise NotYet(f"with S = {S}, H = {H}: alpha of row 0 should be {np.round(want_alpha[0], 4).tolist()}, "
                             f"yours is {np.round(alpha[0], 4).tolist()} (divide the scores by √H).")
            if ctx.shape != (B, C) or not np.allclose(ctx, want_ctx, atol=1e-5):
                raise NotYet(f"ctx should be Σ_s alpha_s e_s, of shape (B, C) = {(B, C)}; yours differs.")

    return check("attention over the prompt", test)
