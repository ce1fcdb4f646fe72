"""Reference solutions of chapter 11's exercises."""

import numpy as np

BLOCK_PARTS = {
    ("ln1",): "ln_1",
    ("ln2",): "ln_2",
    ("attn", "qkv"): "attn.c_attn",
    ("attn", "out"): "attn.c_proj",
    ("fc1",): "mlp.c_fc",
    ("fc2",): "mlp.c_proj",
}
TOP = {"tok_embed": "wte", "pos_embed": "wpe", "ln_f": "ln_f"}


def gpt2_name(path):
    """ChatGPT's parameter path (a tuple) -> its GPT-2 tensor name, without the "transformer." prefix."""
    *module, leaf = path
    suffix = "bias" if leaf == "bias" else "weight"  # kernel, embedding and LayerNorm scale are all "weight"
    if module[0] == "blocks":
        return f"h.{module[1]}.{BLOCK_PARTS[tuple(module[2:])]}.{suffix}"
    return f"{TOP[module[0]]}.{suffix}"


def split_qkv(kernel, bias):
    """A fused (C, 3C) kernel and (3C,) bias -> BERT's query / key / value weights (out, in) and biases."""
    out = {}
    for part, w, b in zip(("query", "key", "value"), np.split(kernel, 3, axis=1), np.split(bias, 3)):
        out[f"{part}.weight"], out[f"{part}.bias"] = w.T, b  # x W (ours) = x (Wᵀ)ᵀ (torch's Linear)
    return out
