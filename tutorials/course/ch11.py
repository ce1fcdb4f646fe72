"""Chapter 11's exercises: the GPT-2 name map and BERT's query / key / value, against
``minisora.tools.hf`` (the one place minisora's names meet Hugging Face's)."""

from __future__ import annotations

import numpy as np

from course import NotYet, check


def check_gpt2_name(gpt2_name) -> bool:
    """``gpt2_name(path)`` against every entry of ``hf.gpt2_table`` of a 3-block model."""
    from minisora.tools.hf import gpt2_table

    def test():
        for path, want in gpt2_table(3).items():
            got = gpt2_name(tuple(path))
            if got != want:
                raise NotYet(f"the parameter {'/'.join(map(str, path))} is GPT-2's {want!r}; yours says {got!r}.")

    return check("the GPT-2 name map", test)


def check_split_qkv(split_qkv) -> bool:
    """``split_qkv(kernel, bias)`` against the tensors ``hf.bert_to_hf`` writes for a small Sora."""
    import jax
    import jax.numpy as jnp
    from flax import nnx

    from minisora.config import ModelConfig
    from minisora.nn import create
    from minisora.tools.hf import bert_to_hf, flat_params

    def test():
        config = ModelConfig(
            family="sora", vocab_size=40, d_model=12, n_heads=2, n_layers=2, d_ff=24, max_len=16, d_lstm=12
        )
        model = create(config, seed=3)
        rng = np.random.default_rng(12)  # every parameter random, biases too (they start at 0)
        params = nnx.state(model, nnx.Param)
        nnx.update(model, jax.tree.map(lambda x: jnp.asarray(rng.normal(size=x.shape), x.dtype), params))
        ours = flat_params(model, config.n_layers)
        _, tensors = bert_to_hf(config, model)
        for i in range(config.n_layers):
            kernel = ours[("encoder", "blocks", i, "attn", "qkv", "kernel")]
            bias = ours[("encoder", "blocks", i, "attn", "qkv", "bias")]
            got = split_qkv(kernel.copy(), bias.copy())
            for part in ("query", "key", "value"):
                for name in (f"{part}.weight", f"{part}.bias"):
                    want = tensors[f"bert.encoder.layer.{i}.attention.self.{name}"]
                    if name not in got:
                        raise NotYet(f"the result has no {name!r}; it needs query/key/value .weight and .bias.")
                    x = np.asarray(got[name])
                    if x.shape != want.shape:
                        raise NotYet(f"{name} is stored as {want.shape} (PyTorch's (out, in)); yours is {x.shape}.")
                    if not np.array_equal(x, want):
                        raise NotYet(
                            f"{name} of block {i} has the right shape but not the right numbers: which "
                            f"columns of the kernel are {part}, and is it transposed?"
                        )

    return check("BERT's query, key and value", test)
