"""Chapter 3's exercises: the parameters of an encoder block, and BERT's 80/10/10 masking rule.

The first check counts the arrays of real ``EncoderBlock``s (``nnx.eval_shape``: nothing is
allocated); the second feeds the learner's function and the package's ``batches.bert_mask`` the
very same random draws, including hand-made ones on the rule's boundaries.
"""

from __future__ import annotations

import numpy as np

from course import NotYet, check


def check_encoder_block_params(encoder_block_params) -> bool:
    """``encoder_block_params(d_model, d_ff)`` against count_params of an ``EncoderBlock``."""
    from flax import nnx

    from minisora.config import ModelConfig, config_from_preset
    from minisora.nn import count_params
    from minisora.nn.encoder import EncoderBlock

    def test():
        shapes = [(32, 64), (64, 256), (48, 100), (1, 1)]
        bert = config_from_preset("sora", "bert-base")
        shapes.append((bert.d_model, bert.d_ff))
        for C, F in shapes:
            config = ModelConfig(family="sora", d_model=C, d_ff=F, n_heads=1, vocab_size=16, max_len=8)
            block = nnx.eval_shape(lambda config=config: EncoderBlock(config, nnx.Rngs(0)))
            want = count_params(nnx.state(block, nnx.Param))
            got = encoder_block_params(C, F)
            if got != want:
                raise NotYet(f"a block with d_model = {C} and d_ff = {F} has {want:,} parameters, you count {got:,}.")

    return check("the parameters of an encoder block", test)


class _Draws:
    """A stand-in for numpy's Generator that hands out given draws, in the order bert_mask asks."""

    def __init__(self, u_choose, u_kind, random_ids):
        self.uniform = [u_choose, u_kind]
        self.random_ids = random_ids

    def random(self, shape):
        u = self.uniform.pop(0)
        assert u.shape == tuple(shape)
        return u

    def integers(self, low, high, size):
        return self.random_ids


def check_bert_corrupt(bert_corrupt) -> bool:
    """``bert_corrupt(x, real, u_choose, u_kind, random_ids)`` against ``batches.bert_mask`` fed the same draws."""
    from minisora.tokenizer import MASK_ID, N_SPECIAL
    from minisora.training.batches import bert_mask

    def cases():
        rng = np.random.default_rng(3)
        V = 50
        for B, S in ((4, 12), (2, 30), (1, 1)):
            x = rng.integers(N_SPECIAL, V, size=(B, S)).astype(np.int32)
            real = np.ones((B, S), bool)
            real[0, : S // 3] = False  # row 0 is left-padded
            draws = rng.random((B, S)), rng.random((B, S)), rng.integers(N_SPECIAL, V, size=(B, S)).astype(np.int32)
            yield f"random draws on a ({B}, {S}) batch", x, real, draws
        # the boundaries of the rule, one token each: chosen below 0.15, then [MASK] below 0.8, random below 0.9
        u_choose = np.array([[0.0, 0.1499, 0.15, 0.9, 0.05, 0.05, 0.05, 0.05, 0.05]])
        u_kind = np.array([[0.5, 0.5, 0.5, 0.5, 0.7999, 0.8, 0.8999, 0.9, 0.99]])
        x = np.arange(N_SPECIAL, N_SPECIAL + 9, dtype=np.int32)[None]
        yield "draws on the rule's boundaries", x, np.ones_like(x, bool), (u_choose, u_kind, x[:, ::-1].copy())
        yield "a row of padding only", x, np.zeros_like(x, bool), (np.zeros((1, 9)), u_kind, x[:, ::-1].copy())

    def test():
        for name, x, real, (u_choose, u_kind, random_ids) in cases():
            want_x, want_chosen = bert_mask(x.copy(), _Draws(u_choose, u_kind, random_ids), 50, real)
            got = bert_corrupt(x.copy(), real.copy(), u_choose.copy(), u_kind.copy(), random_ids.copy())
            if not (isinstance(got, tuple) and len(got) == 2):
                raise NotYet("return a pair (x_tilde, chosen).")
            got_x, got_chosen = (np.asarray(g) for g in got)
            if got_chosen.shape != x.shape or not (got_chosen.astype(bool) == want_chosen.astype(bool)).all():
                raise NotYet(f"with {name}: chosen should be\n{want_chosen.astype(int)}\nyours is\n"
                             f"{np.asarray(got_chosen).astype(int)}\n(a token is chosen when it is real and "
                             "u_choose < 0.15).")
            if got_x.shape != x.shape or not (got_x == want_x).all():
                i = tuple(int(j) for j in np.argwhere(got_x != want_x)[0]) if got_x.shape == x.shape else None
                where = f"\n(first difference at {i}: u_kind = {u_kind[i]:.4f}; MASK_ID = {MASK_ID})" if i else ""
                raise NotYet(f"with {name}: x_tilde should be\n{want_x}\nyours is\n{got_x}{where}")

    return check("BERT's masking rule", test)
