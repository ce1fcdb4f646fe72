"""Chapter 5's exercises: the parameters of a whole ChatGPT, and the bytes of its key/value cache.

The first check counts the arrays of real ``ChatGPT`` models (``nnx.eval_shape``: nothing is
allocated); the second compares with ``minisora.nn.state_bytes`` minus its per-slot bookkeeping.
"""

from __future__ import annotations

from course import NotYet, check


def check_gpt_params(gpt_params) -> bool:
    """``gpt_params(vocab_size, d_model, n_layers, d_ff, max_len)`` against count_params of a ChatGPT."""
    from flax import nnx

    from minisora.config import ModelConfig, config_from_preset
    from minisora.nn import count_params
    from minisora.nn.gpt import ChatGPT

    def test():
        shapes = [(40, 32, 2, 128, 32), (100, 64, 1, 256, 16), (7, 8, 3, 20, 5)]
        small = config_from_preset("gpt", "gpt2-small")
        shapes.append((small.vocab_size, small.d_model, small.n_layers, small.d_ff, small.max_len))
        for V, C, N, F, T in shapes:
            config = ModelConfig(family="gpt", vocab_size=V, d_model=C, n_heads=1, n_layers=N, d_ff=F, max_len=T)
            model = nnx.eval_shape(lambda config=config: ChatGPT(config, rngs=nnx.Rngs(0)))
            want = count_params(nnx.state(model, nnx.Param))
            got = gpt_params(V, C, N, F, T)
            if got != want:
                raise NotYet(f"V={V}, C={C}, N={N}, d_ff={F}, T={T}: the model has {want:,} parameters, "
                             f"you count {got:,}.")

    return check("the parameters of a ChatGPT", test)


def check_kv_cache_bytes(kv_cache_bytes) -> bool:
    """``kv_cache_bytes(n_layers, d_model, slots, bytes_per_number)``: keys + values of one sequence."""
    from minisora.config import ModelConfig
    from minisora.nn import state_bytes

    def test():
        for N, C, S in [(2, 32, 16), (12, 768, 1024), (1, 8, 1), (4, 128, 256)]:
            config = ModelConfig(family="gpt", vocab_size=50, d_model=C, n_heads=1, n_layers=N, d_ff=4 * C,
                                 max_len=S)
            measured = state_bytes(config, prompt_len=1, new_tokens=S - 1)  # float32 buffers + bookkeeping
            got = kv_cache_bytes(N, C, S, 4)
            if not (isinstance(got, int) and got <= measured < got + 64 * S + 64):
                raise NotYet(f"N={N}, C={C}, S={S} slots in float32: the buffers hold {2 * N * S * C * 4:,} bytes "
                             f"(the whole state measures {measured:,}); you say {got!r}.")
            if kv_cache_bytes(N, C, S, 2) * 2 != got:
                raise NotYet("in bfloat16 (2 bytes a number) the cache is exactly half as big as in float32.")

    return check("the bytes of a key/value cache", test)
