"""Published weights in: a Hugging Face folder (config.json + model.safetensors) -> a minisora run.

Read with the ``safetensors`` package's numpy API, so no torch at run time. Each
converter is a table from Hugging Face tensor names to minisora parameter paths;
the shapes are checked against the model minisora would build from the same
config, so a mismatch is one clear error, not a wrong model.

GPT-2 (``GPT2LMHeadModel`` / ``GPT2Model``) maps one to one onto ``ChatGPT``:
its ``Conv1D`` layers store weights as (in, out), which is already the layout of
an ``nnx.Linear`` kernel (x @ W), and its fused ``c_attn`` (C, 3C) with columns
[q | k | v] is exactly our ``attn.qkv``. The LM head is tied to the token embedding in both.

This file is the one place where minisora's parameter names meet Hugging Face's.
"""

from __future__ import annotations

import json
from pathlib import Path

import jax
import numpy as np
from flax import nnx

from ..config import ModelConfig
from ..errors import UserError
from ..nn import create
from ..nn.encoder import Encoder
from ..nn.gpt import ChatGPT
from ..training.rundir import write_run

KNOWN_MODEL_TYPES = ("gpt2", "bert")


def read_hf_config(path) -> dict:
    """A Hugging Face model folder's config.json, checked: one clear sentence for a folder that is
    not a model (no config.json, no model.safetensors, invalid JSON, a model type we do not read)."""
    folder = Path(path)
    if not folder.is_dir():
        raise UserError(f"{folder} is not a directory.")
    if not (folder / "config.json").is_file():
        raise UserError(f"{folder} is not a Hugging Face model folder (no config.json).")
    if not (folder / "model.safetensors").is_file():
        hint = " (sharded checkpoints are not supported)" if (folder / "model.safetensors.index.json").exists() else ""
        raise UserError(f"{folder} has no model.safetensors{hint}; save the model with safe_serialization=True.")
    try:
        config = json.loads((folder / "config.json").read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UserError(f"{folder / 'config.json'} is not valid JSON ({e}).") from None
    if not isinstance(config, dict):
        raise UserError(f"{folder / 'config.json'} is JSON but not an object of model settings, "
                        "so it is not a Hugging Face model config.")
    if config.get("model_type") not in KNOWN_MODEL_TYPES:
        kind = config.get("model_type")
        raise UserError(f"{folder} holds a {kind!r} model; minisora reads {' and '.join(KNOWN_MODEL_TYPES)}.")
    return config


def read_hf_folder(path) -> tuple[dict, dict[str, np.ndarray]]:
    """A Hugging Face model folder -> (config.json as a dict, {tensor name: numpy array})."""
    from safetensors.numpy import load_file

    config = read_hf_config(path)
    return config, load_file(str(Path(path) / "model.safetensors"))


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
        family="gpt",
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
        ("tok_embed", "embedding"): "wte.weight",
        ("pos_embed", "embedding"): "wpe.weight",
        ("ln_f", "scale"): "ln_f.weight",
        ("ln_f", "bias"): "ln_f.bias",
    }
    for i in range(n_layers):
        for ours, theirs in [
            ("ln1", "ln_1"), ("ln2", "ln_2"),
            (("attn", "qkv"), "attn.c_attn"), (("attn", "out"), "attn.c_proj"),
            ("fc1", "mlp.c_fc"), ("fc2", "mlp.c_proj"),
        ]:
            ours = ours if isinstance(ours, tuple) else (ours,)
            w = "scale" if theirs.startswith("ln") else "kernel"  # Conv1D weights are (in, out) = our kernel
            table[("blocks", i, *ours, w)] = f"h.{i}.{theirs}.weight"
            table[("blocks", i, *ours, "bias")] = f"h.{i}.{theirs}.bias"
    return table


def gpt2_from_hf(path) -> tuple[ModelConfig, nnx.State]:
    """A GPT2LMHeadModel / GPT2Model folder -> (ModelConfig, ChatGPT parameters as an nnx.State)."""
    hf, tensors = read_hf_folder(path)
    if hf["model_type"] != "gpt2":
        raise UserError(f"{path} holds a {hf['model_type']!r} model, not GPT-2.")
    config = gpt2_config(hf)
    tensors = strip_prefix(tensors, "transformer.")
    if "lm_head.weight" in tensors and not np.array_equal(tensors["lm_head.weight"], tensors.get("wte.weight")):
        raise UserError("This GPT-2's output head is not tied to its token embedding; minisora's ChatGPT ties them.")
    abstract = nnx.eval_shape(lambda: ChatGPT(config, rngs=nnx.Rngs(0)))
    return config, fill(nnx.state(abstract, nnx.Param), gpt2_table(config.n_layers), tensors)


# --- BERT -------------------------------------------------------------------------------
# BertModel / BertForMaskedLM map onto minisora's Encoder (Sora's encoder). Differences
# in layout: torch's nn.Linear stores weights as (out, in), the transpose of our kernel;
# BERT's separate query / key / value concatenate (columns [q | k | v]) into our fused
# ``attn.qkv``; the MLM decoder is tied to the word embeddings, as ours is.

BERT_IGNORED = ("embeddings.position_ids", "cls.predictions.decoder.", "cls.seq_relationship.")


def bert_config(hf: dict, *, pooler: bool) -> ModelConfig:
    """ModelConfig (model="sora") of a BertConfig dict, refusing what our encoder does not implement."""
    act = hf.get("hidden_act", "gelu")
    if act != "gelu":
        raise UserError(f"This BERT uses activation {act!r}; minisora's encoder uses the exact (erf) GELU.")
    if hf.get("position_embedding_type") not in (None, "absolute"):
        raise UserError(f"This BERT uses {hf['position_embedding_type']!r} positions; minisora's encoder learns absolute ones.")
    C = hf["hidden_size"]
    return ModelConfig(
        family="sora",
        vocab_size=hf["vocab_size"],
        d_model=C,
        n_heads=hf["num_attention_heads"],
        n_layers=hf["num_hidden_layers"],
        d_ff=hf["intermediate_size"],
        max_len=hf["max_position_embeddings"],
        dropout=hf.get("hidden_dropout_prob", 0.1),
        layer_norm_eps=hf.get("layer_norm_eps", 1e-12),
        type_vocab_size=hf.get("type_vocab_size", 2),
        pooler=pooler,
        d_lstm=C,
    )


def bert_tensors(tensors: dict, n_layers: int) -> dict:
    """HF BERT tensors -> the same names in our layout: Linear weights transposed to (in, out),
    query/key/value fused into ``attention.self.qkv``, old ``gamma``/``beta`` names renamed."""
    t = {}
    for name, x in strip_prefix(tensors, "bert.").items():
        name = name.replace("LayerNorm.gamma", "LayerNorm.weight").replace("LayerNorm.beta", "LayerNorm.bias")
        if name.startswith(BERT_IGNORED):
            continue
        linear = name.endswith(".weight") and x.ndim == 2 and "embeddings." not in name
        t[name] = np.asarray(x).T if linear else x
    for i in range(n_layers):
        p = f"encoder.layer.{i}.attention.self."
        for w in ("weight", "bias"):
            parts = [t.pop(p + f"{n}.{w}", None) for n in ("query", "key", "value")]
            if all(x is not None for x in parts):
                t[p + f"qkv.{w}"] = np.concatenate(parts, axis=-1)  # (C, 3C) kernel, (3C,) bias
    return t


def bert_table(n_layers: int, *, pooler: bool, mlm: bool) -> dict:
    """Our Encoder's parameter path -> tensor name (after ``bert_tensors``)."""
    table = {
        ("tok_embed", "embedding"): "embeddings.word_embeddings.weight",
        ("pos_embed", "embedding"): "embeddings.position_embeddings.weight",
        ("seg_embed", "embedding"): "embeddings.token_type_embeddings.weight",
    }
    layers = {("ln_embed",): "embeddings.LayerNorm"}
    for i in range(n_layers):
        b = f"encoder.layer.{i}."
        layers |= {
            ("blocks", i, "attn", "qkv"): b + "attention.self.qkv",
            ("blocks", i, "attn", "out"): b + "attention.output.dense",
            ("blocks", i, "ln1"): b + "attention.output.LayerNorm",
            ("blocks", i, "fc1"): b + "intermediate.dense",
            ("blocks", i, "fc2"): b + "output.dense",
            ("blocks", i, "ln2"): b + "output.LayerNorm",
        }
    if pooler:
        layers[("pooler",)] = "pooler.dense"
    if mlm:
        layers |= {("mlm", "transform"): "cls.predictions.transform.dense",
                   ("mlm", "ln"): "cls.predictions.transform.LayerNorm"}
        table[("mlm", "vocab_bias")] = "cls.predictions.bias"
    for ours, theirs in layers.items():
        w = "scale" if theirs.endswith("LayerNorm") else "kernel"
        table[(*ours, w)] = f"{theirs}.weight"
        table[(*ours, "bias")] = f"{theirs}.bias"
    return table


def bert_from_hf(path) -> tuple[ModelConfig, nnx.State]:
    """A BertModel / BertForMaskedLM folder -> (ModelConfig of a Sora, its encoder's parameters).

    The State holds ``encoder.…`` paths only (the LSTM decoder keeps its fresh
    initialisation); ``state["encoder"]`` fits a bare ``Encoder(config, …,
    mlm_head=<the folder has an MLM head>)``. The pooler is imported when present.
    """
    hf, tensors = read_hf_folder(path)
    if hf["model_type"] != "bert":
        raise UserError(f"{path} holds a {hf['model_type']!r} model, not BERT.")
    plain = strip_prefix(tensors, "bert.")
    config = bert_config(hf, pooler="pooler.dense.weight" in plain)
    mlm = "cls.predictions.bias" in plain
    decoder = plain.get("cls.predictions.decoder.weight")
    if decoder is not None and not np.array_equal(decoder, plain.get("embeddings.word_embeddings.weight")):
        raise UserError("This BERT's MLM decoder is not tied to its word embeddings; minisora's encoder ties them.")
    t = bert_tensors(tensors, config.n_layers)
    table = bert_table(config.n_layers, pooler=config.pooler, mlm=mlm)
    unused = sorted(set(t) - set(table.values()))
    if unused:
        raise UserError(f"The checkpoint has tensors minisora's encoder does not implement: {', '.join(unused[:3])}.")
    abstract = nnx.eval_shape(lambda: Encoder(config, nnx.Rngs(0), mlm_head=mlm))
    encoder = fill(nnx.state(abstract, nnx.Param), table, t)
    return config, nnx.State({"encoder": encoder})


# --- a run ------------------------------------------------------------------------------

READERS = {"gpt2": gpt2_from_hf, "bert": bert_from_hf}


def import_hf(source, out) -> tuple[str, ModelConfig]:
    """A Hugging Face GPT-2 / BERT folder -> a minisora run at step 0 in ``out``: -> (model_type, config)."""
    kind = read_hf_config(source)["model_type"]
    config, params = READERS[kind](source)
    model = create(config)
    nnx.update(model, params)  # BERT: the encoder's parameters; Sora's LSTM decoder keeps its initialisation
    write_run(out, model, config, {"imported_from": str(source), "hf_model_type": kind})
    return kind, config
