"""Published weights in: a Hugging Face folder (config.json + model.safetensors) -> minisora.

Read with the ``safetensors`` package's numpy API, so no torch at run time. Each
converter is a table from Hugging Face tensor names to minisora parameter paths;
the shapes are checked against the model minisora would build from the same
config, so a mismatch is one clear error, not a wrong model.

GPT-2 (``GPT2LMHeadModel`` / ``GPT2Model``) maps one to one onto ``ChatGPT``:
its ``Conv1D`` layers store weights as (in, out), which is already the layout of
an ``nnx.Linear`` kernel (x @ W), and its fused ``c_attn`` (C, 3C) with columns
[q | k | v] is exactly our ``attn.qkv``. The LM head is tied to ``wte`` in both.
"""

from __future__ import annotations

import json
from pathlib import Path

import jax
import numpy as np
from flax import nnx

from .errors import UserError
from .models import ModelConfig

KNOWN_MODEL_TYPES = ("gpt2", "bert")


def read_hf_folder(path) -> tuple[dict, dict[str, np.ndarray]]:
    """A Hugging Face model folder -> (config.json as a dict, {tensor name: numpy array})."""
    from safetensors.numpy import load_file

    folder = Path(path)
    if not folder.is_dir():
        raise UserError(f"{folder} is not a directory.")
    if not (folder / "config.json").is_file():
        raise UserError(f"{folder} is not a Hugging Face model folder (no config.json).")
    weights = folder / "model.safetensors"
    if not weights.is_file():
        hint = " (sharded checkpoints are not supported)" if (folder / "model.safetensors.index.json").exists() else ""
        raise UserError(f"{folder} has no model.safetensors{hint}; save the model with safe_serialization=True.")
    try:
        config = json.loads((folder / "config.json").read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UserError(f"{folder / 'config.json'} is not valid JSON ({e}).") from None
    if config.get("model_type") not in KNOWN_MODEL_TYPES:
        raise UserError(
            f"{folder} holds a {config.get('model_type')!r} model; minisora reads {' and '.join(KNOWN_MODEL_TYPES)}."
        )
    return config, load_file(str(weights))


def take(tensors: dict, name: str, shape: tuple) -> np.ndarray:
    """tensors[name] as float32, checked to have ``shape``."""
    if name not in tensors:
        raise UserError(f"The checkpoint has no tensor {name!r}; is it the model its config.json says?")
    x = np.asarray(tensors[name], dtype=np.float32)
    if x.shape != tuple(shape):
        raise UserError(f"Tensor {name!r} has shape {x.shape}, but the config implies {tuple(shape)}.")
    return x


def strip_prefix(tensors: dict, prefix: str) -> dict:
    """Drop a head model's prefix ("transformer.", "bert.") so both model classes read alike."""
    if any(k.startswith(prefix) for k in tensors):
        return {k[len(prefix):] if k.startswith(prefix) else k: v for k, v in tensors.items()}
    return tensors


def fill(abstract_state: nnx.State, table: dict, tensors: dict) -> nnx.State:
    """Build a parameter State from ``table`` {our path (tuple): HF name} and check coverage.

    ``abstract_state`` comes from ``nnx.eval_shape``: its shapes are what the model
    expects; every one of our parameters must be named in ``table`` exactly once.
    """
    flat = dict(nnx.to_flat_state(abstract_state))
    missing = set(flat) - set(table)
    if missing:
        raise ValueError(f"converter misses parameters: {sorted(missing)[:5]}")
    for path, name in table.items():
        flat[path] = flat[path].replace(jax.numpy.asarray(take(tensors, name, flat[path].shape)))
    return nnx.from_flat_state(flat)


# --- GPT-2 ------------------------------------------------------------------------------


def gpt2_config(hf: dict) -> ModelConfig:
    """ModelConfig of a GPT2Config dict (refusing the options our decoder does not implement)."""
    act = hf.get("activation_function", "gelu_new")
    if act not in ("gelu_new", "gelu_pytorch_tanh"):
        raise UserError(f"This GPT-2 uses activation {act!r}; minisora's decoder uses the tanh GELU (gelu_new).")
    for flag in ("scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn"):
        if hf.get(flag):
            raise UserError(f"This GPT-2 sets {flag}, which minisora's decoder does not implement.")
    if hf.get("scale_attn_weights", True) is False:
        raise UserError("This GPT-2 sets scale_attn_weights=false; minisora always scales by 1/sqrt(head_dim).")
    C = hf["n_embd"]
    return ModelConfig(
        model="gpt",
        vocab_size=hf["vocab_size"],
        d_model=C,
        n_heads=hf["n_head"],
        n_layers=hf["n_layer"],
        d_ff=hf.get("n_inner") or 4 * C,
        max_len=hf["n_positions"],
        dropout=hf.get("resid_pdrop", 0.1),
        layer_norm_eps=hf.get("layer_norm_epsilon", 1e-5),
    )


def gpt2_table(n_layers: int) -> dict:
    """Our parameter path -> GPT-2 tensor name (after dropping "transformer.")."""
    table = {
        ("wte", "embedding"): "wte.weight",
        ("wpe", "embedding"): "wpe.weight",
        ("ln_f", "scale"): "ln_f.weight",
        ("ln_f", "bias"): "ln_f.bias",
    }
    for i in range(n_layers):
        for ours, theirs in [
            ("ln_1", "ln_1"), ("ln_2", "ln_2"),
            (("attn", "qkv"), "attn.c_attn"), (("attn", "out"), "attn.c_proj"),
            ("fc", "mlp.c_fc"), ("proj", "mlp.c_proj"),
        ]:
            ours = ours if isinstance(ours, tuple) else (ours,)
            w = "scale" if theirs.startswith("ln") else "kernel"  # Conv1D weights are (in, out) = our kernel
            table[("blocks", i, *ours, w)] = f"h.{i}.{theirs}.weight"
            table[("blocks", i, *ours, "bias")] = f"h.{i}.{theirs}.bias"
    return table


def gpt2_from_hf(path) -> tuple[ModelConfig, nnx.State]:
    """A GPT2LMHeadModel / GPT2Model folder -> (ModelConfig, ChatGPT parameters as an nnx.State)."""
    from .decoder import ChatGPT

    hf, tensors = read_hf_folder(path)
    if hf["model_type"] != "gpt2":
        raise UserError(f"{path} holds a {hf['model_type']!r} model, not GPT-2.")
    config = gpt2_config(hf)
    tensors = strip_prefix(tensors, "transformer.")
    if "lm_head.weight" in tensors and not np.array_equal(tensors["lm_head.weight"], tensors.get("wte.weight")):
        raise UserError("This GPT-2's output head is not tied to its token embedding; minisora's ChatGPT ties them.")
    abstract = nnx.eval_shape(lambda: ChatGPT(config, rngs=nnx.Rngs(0)))
    return config, fill(nnx.state(abstract, nnx.Param), gpt2_table(config.n_layers), tensors)
