"""The Hugging Face format, both ways: a model folder (config.json + model.safetensors +
tokenizer files) <-> a minisora run.

    import_hf(folder, run)   GPT-2 -> ChatGPT, BERT -> Sora's encoder; the folder's tokenizer.json
                             comes too (an ``HFTokenizer``), so the run reads and writes text
    export_hf(run, folder)   ChatGPT -> GPT2LMHeadModel, Sora -> its encoder as BertForMaskedLM,
                             with tokenizer files ``AutoTokenizer`` loads (``sentencepiece_to_hf``),
                             generation_config.json and, for a run fine-tuned on dialogues, a chat
                             template that writes minisora's layout <user> q <assistant> a </s>

Weights are read and written with the ``safetensors`` package's numpy API, so no torch at run
time. Each converter is a table from minisora parameter paths to Hugging Face tensor names;
on import the shapes are checked against the model minisora would build from the same config,
so a mismatch is one clear error, not a wrong model.

GPT-2 (``GPT2LMHeadModel`` / ``GPT2Model``) maps one to one onto ``ChatGPT``:
its ``Conv1D`` layers store weights as (in, out), which is already the layout of
an ``nnx.Linear`` kernel (x @ W), and its fused ``c_attn`` (C, 3C) with columns
[q | k | v] is exactly our ``attn.qkv``. The LM head is tied to the token embedding in both.

This file is the one place where minisora's parameter names meet Hugging Face's.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import jax
import numpy as np
import tokenizers
from flax import nnx
from tokenizers import AddedToken, Regex, decoders, models, pre_tokenizers

from ..config import FAMILIES, ModelConfig
from ..errors import UserError
from ..nn import count_params, create
from ..nn.encoder import Encoder
from ..nn.gpt import ChatGPT
from ..tokenizer import (
    ASSISTANT_ID, EOS_ID, HF_FILE, SPECIAL_NAMES, USER_ID, HFTokenizer, SentencePieceTokenizer, Tokenizer,
)
from ..training import rundir

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


def read_json(path, default=None):
    """A JSON file of a model folder (``default`` when it is absent); invalid JSON is a UserError."""
    path = Path(path)
    if not path.is_file():
        return default
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UserError(f"{path} is not valid JSON ({e}).") from None


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


# --- tokenizers --------------------------------------------------------------------------

# tokenizer_config.json's key for each of minisora's special names (Hugging Face's convention).
TOKEN_KEYS = {name: f"{name}_token" for name in ("pad", "unk", "bos", "eos", "mask", "cls", "sep")}
DIALOGUE_TOKENS = {"user": "<user>", "assistant": "<assistant>"}  # the names minisora's tokenizer gives them


def token_content(value) -> str | None:
    """A special-token entry of tokenizer_config.json: "<s>" or {"content": "<s>", …}."""
    return value.get("content") if isinstance(value, dict) else value


def folder_tokenizer(folder, hf_config: dict) -> HFTokenizer | None:
    """The folder's ``tokenizer.json`` as an HFTokenizer (None when there is none), its special ids
    found by name in tokenizer_config.json / special_tokens_map.json, else in config.json's
    ``*_token_id`` (GPT-2's own folder names its <|endoftext|> only there)."""
    folder = Path(folder)
    if not (folder / HF_FILE).is_file():
        return None
    try:
        hf = tokenizers.Tokenizer.from_file(str(folder / HF_FILE))
    except Exception as err:  # the tokenizers library raises plain Exceptions for a bad file
        raise UserError(f"{folder / HF_FILE} is not a tokenizer the `tokenizers` library reads ({err}).") from None
    names = {**read_json(folder / "special_tokens_map.json", {}), **read_json(folder / "tokenizer_config.json", {})}
    generation = read_json(folder / "generation_config.json", {})
    special_tokens = {t.content for t in hf.get_added_tokens_decoder().values() if t.special}
    ids = {}
    for name in SPECIAL_NAMES:
        content = token_content(names.get(TOKEN_KEYS.get(name, ""))) or (
            DIALOGUE_TOKENS.get(name) if DIALOGUE_TOKENS.get(name) in special_tokens else None)
        i = hf.token_to_id(content) if content else None
        if i is None:
            i = generation.get(f"{name}_token_id", hf_config.get(f"{name}_token_id"))
            i = i[0] if isinstance(i, list) and i else i  # generation_config may list several eos ids
        ids[name] = i if isinstance(i, int) else None
    extra = {n: (folder / n).read_text(encoding="utf-8") for n in ("tokenizer_config.json", "special_tokens_map.json")
             if (folder / n).is_file()}
    return HFTokenizer(hf, ids, extra)


def sentencepiece_to_hf(tok: SentencePieceTokenizer) -> tokenizers.Tokenizer:
    """minisora's SentencePiece tokenizer as a ``tokenizers`` Tokenizer that gives the same ids for
    every text (tests/tools/test_hf_export.py checks it on a wide sample). Four details:

    - pieces spell a space as "▁"; here they hold a real space instead, so a literal "▁" in the text
      matches no piece and falls back to its three bytes, as minisora's ``encode`` spells it;
    - unigram: the same pieces and log-probabilities, so the same Viterbi split. SentencePiece never
      matches its byte pieces "<0x41>" or control symbols against text; here they get a very low
      score, and a character no piece contains is split off alone (it can only be bytes anyway), so
      "<0x41>" typed in the text stays its characters;
    - bpe: merges derived from the pieces (a + b = a piece, ranked by that piece's score);
      char: no merges, every character is its piece or its bytes;
    - the special and control symbols are added special tokens, at minisora's ids.
    """
    from sentencepiece import sentencepiece_model_pb2

    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString(tok.model_proto)
    Type = sentencepiece_model_pb2.ModelProto.SentencePiece
    pieces = [(p.piece.replace("\u2581", " ") if p.type in (Type.NORMAL, Type.USER_DEFINED) else p.piece, p.score, p.type)
              for p in proto.pieces]
    text_piece = [t in (Type.NORMAL, Type.USER_DEFINED) for _, _, t in pieces]
    if tok.model_type == "unigram":
        never = 1e9  # below any path of text pieces: a byte or control piece is never matched from text
        model = models.Unigram([(p, s if ok else -never) for (p, s, _), ok in zip(pieces, text_piece)],
                               unk_id=tok.unk_id, byte_fallback=True)
    else:
        vocab = {p: i for i, (p, _, _) in enumerate(pieces)}
        normal = {p for p, _, t in pieces if t == Type.NORMAL}
        merges = sorted((i, vocab[p[:k]], vocab[p[k:]]) for i, (p, _, t) in enumerate(pieces) if t == Type.NORMAL
                        for k in range(1, len(p)) if p[:k] in normal and p[k:] in normal)
        model = models.BPE(vocab=vocab, merges=[(pieces[a][0], pieces[b][0]) for _, a, b in merges],
                           unk_token=pieces[tok.unk_id][0], byte_fallback=True)
    hf = tokenizers.Tokenizer(model)
    if tok.model_type == "unigram":
        chars = sorted({c for (p, _, _), ok in zip(pieces, text_piece) if ok for c in p})
        hf.pre_tokenizer = pre_tokenizers.Split(Regex("[^" + "".join(f"\\x{{{ord(c):x}}}" for c in chars) + "]"),
                                                behavior="isolated")
    hf.decoder = decoders.Sequence([decoders.ByteFallback(), decoders.Fuse()])
    hf.add_special_tokens([AddedToken(p, special=True, normalized=False) for p, _, t in pieces
                           if t in (Type.CONTROL, Type.UNKNOWN)])
    hf.add_tokens([AddedToken(p, special=False, normalized=False) for p, _, t in pieces if t == Type.USER_DEFINED])
    return hf


# minisora's dialogue layout as a Jinja chat template: <user> q₁ <assistant> a₁ </s> … <user> q <assistant>.
# System messages are left out: minisora's models were never trained with one.
CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'user' -%}<user>{{ message['content'] }}"
    "{%- elif message['role'] == 'assistant' -%}<assistant>{{ message['content'] }}</s>"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}<assistant>{%- endif -%}"
)


def tokenizer_files(tok: Tokenizer, *, max_len: int, dialogue: bool) -> dict[str, str]:
    """The tokenizer files of an exported folder: tokenizer.json, tokenizer_config.json,
    special_tokens_map.json — what ``transformers.AutoTokenizer.from_pretrained`` reads."""
    if isinstance(tok, HFTokenizer):  # imported: give back what came in
        files = {HF_FILE: tok.hf.to_str(pretty=True), **tok.extra_files}
        files.setdefault("tokenizer_config.json", json.dumps({"tokenizer_class": "PreTrainedTokenizerFast"}, indent=2))
        return files
    hf = sentencepiece_to_hf(tok)
    named = {TOKEN_KEYS[n]: hf.id_to_token(i) for n, i in tok.special_ids().items() if n in TOKEN_KEYS}
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        **named,
        "additional_special_tokens": [hf.id_to_token(tok.user_id), hf.id_to_token(tok.assistant_id)],
        "model_max_length": max_len,
        "clean_up_tokenization_spaces": False,  # decode gives the text back as it was
        "split_special_tokens": False,  # so that the chat template's <user> is one token
    }
    if dialogue:
        config["chat_template"] = CHAT_TEMPLATE
    special_map = {**named, "additional_special_tokens": config["additional_special_tokens"]}
    return {HF_FILE: hf.to_str(pretty=True), "tokenizer_config.json": json.dumps(config, indent=2, ensure_ascii=False),
            "special_tokens_map.json": json.dumps(special_map, indent=2)}


# --- export -------------------------------------------------------------------------------


def flat_params(model, n_layers: int) -> dict[tuple, np.ndarray]:
    """{parameter path: numpy array}, one entry per layer also when the blocks are stacked (scan_layers)."""
    flat = {}
    for path, v in nnx.to_flat_state(nnx.state(model, nnx.Param)):
        x = np.asarray(v[...], np.float32)
        i = path.index("blocks") if "blocks" in path else None
        if i is not None and not isinstance(path[i + 1], int):  # stacked: a leading axis of N layers
            flat |= {(*path[:i + 1], layer, *path[i + 1:]): x[layer] for layer in range(n_layers)}
        else:
            flat[path] = x
    return flat


def gpt2_to_hf(config: ModelConfig, model) -> tuple[dict, dict[str, np.ndarray]]:
    """ChatGPT -> (GPT2Config as a dict, GPT2LMHeadModel's tensors); the head is tied, so only wte is stored."""
    flat = flat_params(model, config.n_layers)
    tensors = {f"transformer.{name}": np.ascontiguousarray(flat[path]) for path, name in gpt2_table(config.n_layers).items()}
    hf = {
        "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2",
        "vocab_size": config.vocab_size, "n_embd": config.d_model, "n_layer": config.n_layers,
        "n_head": config.n_heads, "n_inner": config.d_ff, "n_positions": config.max_len,
        "activation_function": "gelu_new", "layer_norm_epsilon": config.layer_norm_eps,
        "resid_pdrop": config.dropout, "embd_pdrop": config.dropout, "attn_pdrop": config.dropout,
        "initializer_range": 0.02, "tie_word_embeddings": True, "use_cache": True,
    }
    return hf, tensors


def bert_to_hf(config: ModelConfig, model) -> tuple[dict, dict[str, np.ndarray]]:
    """Sora's encoder -> (BertConfig as a dict, BertForMaskedLM's tensors): the inverse of
    ``bert_tensors`` — kernels back to torch's (out, in), ``qkv`` split into query / key / value."""
    flat = flat_params(model, config.n_layers)
    encoder = {path[1:]: x for path, x in flat.items() if path[0] == "encoder"}
    table = bert_table(config.n_layers, pooler=False, mlm=True)
    tensors = {}
    for path, name in table.items():
        x = encoder[path]
        if name.endswith("attention.self.qkv.weight") or name.endswith("attention.self.qkv.bias"):
            base, w = name.rsplit(".qkv.", 1)
            for part, xs in zip(("query", "key", "value"), np.split(x, 3, axis=-1)):
                tensors[f"{base}.{part}.{w}"] = xs.T if xs.ndim == 2 else xs
            continue
        linear = name.endswith(".weight") and x.ndim == 2 and "embeddings." not in name
        tensors[name] = x.T if linear else x
    tensors = {(k if k.startswith("cls.") else f"bert.{k}"): np.ascontiguousarray(v) for k, v in tensors.items()}
    hf = {
        "architectures": ["BertForMaskedLM"], "model_type": "bert",
        "vocab_size": config.vocab_size, "hidden_size": config.d_model, "num_hidden_layers": config.n_layers,
        "num_attention_heads": config.n_heads, "intermediate_size": config.d_ff, "hidden_act": "gelu",
        "max_position_embeddings": config.max_len, "type_vocab_size": config.type_vocab_size,
        "layer_norm_eps": config.layer_norm_eps, "hidden_dropout_prob": config.dropout,
        "attention_probs_dropout_prob": config.dropout, "position_embedding_type": "absolute",
        "initializer_range": 0.02, "tie_word_embeddings": True,
    }
    return hf, tensors


WRITERS = {"gpt": gpt2_to_hf, "sora": bert_to_hf}


def check_empty_out(out) -> Path:
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UserError(f"{out} exists and is not empty; choose another --out (nothing was written).")
    return out


def write_folder(out: Path, files: dict[str, str], tensors: dict[str, np.ndarray]) -> None:
    """All files written into a temporary folder beside ``out``, then renamed to it: a failure
    half-way leaves no half-written model folder."""
    from safetensors.numpy import save_file

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name, text in files.items():
            (tmp / name).write_text(text + ("" if text.endswith("\n") else "\n"), encoding="utf-8")
        save_file(tensors, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        umask = os.umask(0)
        os.umask(umask)
        for path in (tmp, *tmp.iterdir()):  # mkdtemp makes the folder private; give it the usual modes
            path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)
        if out.exists():
            out.rmdir()  # empty (checked before)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def export_hf(run_dir, out) -> tuple[str, list[str]]:
    """A minisora run -> a Hugging Face model folder ``out``: -> (family, what was exported, in phrases).

    ChatGPT becomes a ``GPT2LMHeadModel``; Sora's encoder a ``BertForMaskedLM`` (the LSTM decoder has
    no Hugging Face class and stays in the run). ``out`` must be absent or empty.
    """
    out = check_empty_out(out)
    family = ModelConfig.from_dict(rundir.read_config(run_dir)["model"]).family
    if family not in FAMILIES:
        raise UserError(f"{run_dir} holds a model of family {family!r}; minisora exports {' and '.join(FAMILIES)}.")
    saved, config, model, step = rundir.load_model(run_dir)
    tok = rundir.load_tokenizer(run_dir)
    dialogue = (saved.get("train") or {}).get("kind") == "dialogue" or bool(saved.get("data", {}).get("dialogue"))
    hf_config, tensors = WRITERS[config.family](config, model)
    hf_config["minisora"] = {"family": config.family, "dialogue": dialogue, "step": step, "d_lstm": config.d_lstm}
    said = []
    if config.family == "gpt":
        said.append(f"exported ChatGPT ({count_params(model):,} parameters, step {step}) as a GPT2LMHeadModel")
    else:
        n_enc = sum(x.size for path, x in flat_params(model, config.n_layers).items()
                    if path[0] == "encoder" and path[1] != "pooler")
        said.append(f"Sora's LSTM decoder has no Hugging Face class, so only its encoder "
                    f"({n_enc:,} of {count_params(model):,} parameters) was exported, as a BertForMaskedLM")
    files = {"config.json": json.dumps(hf_config, indent=2)}
    if tok is None:
        said.append("the run has no tokenizer, so the folder has none: it reads and writes token ids")
    else:
        if tok.vocab_size > config.vocab_size:
            raise UserError(f"The run's tokenizer has {tok.vocab_size} tokens but its model only {config.vocab_size}.")
        files |= tokenizer_files(tok, max_len=config.max_len, dialogue=dialogue and config.family == "gpt")
        ids = {f"{n}_token_id": tok.special_ids()[n] for n in ("bos", "eos", "pad")}
        hf_config.update({k: v for k, v in ids.items() if v is not None})
        files["config.json"] = json.dumps(hf_config, indent=2)
        if config.family == "gpt":
            files["generation_config.json"] = json.dumps({**{k: v for k, v in ids.items() if v is not None},
                                                          "do_sample": False}, indent=2)
        said.append(f"with its {tok.kind} tokenizer ({tok.vocab_size} tokens) as tokenizer.json"
                    + (" and minisora's dialogue layout as the chat template" if dialogue and config.family == "gpt" else ""))
    write_folder(out, files, tensors)
    return config.family, said


# --- a run ------------------------------------------------------------------------------

READERS = {"gpt2": gpt2_from_hf, "bert": bert_from_hf}


def import_hf(source, out) -> tuple[str, ModelConfig, Tokenizer | None]:
    """A Hugging Face GPT-2 / BERT folder -> a minisora run at step 0 in ``out``: -> (model_type, config,
    tokenizer or None). The folder's tokenizer.json, when it has one, becomes the run's tokenizer."""
    hf_config = read_hf_config(source)
    kind = hf_config["model_type"]
    config, params = READERS[kind](source)
    ours = hf_config.get("minisora") if isinstance(hf_config.get("minisora"), dict) else {}  # what minisora exported
    if isinstance(ours.get("d_lstm"), int) and ours["d_lstm"] > 0:
        config = config.replace(d_lstm=ours["d_lstm"])  # Sora's LSTM width (the decoder itself was not exported)
    tok = folder_tokenizer(source, hf_config)
    if tok is not None and tok.vocab_size > config.vocab_size:
        raise UserError(f"The tokenizer in {source} has {tok.vocab_size} tokens, more than the model's {config.vocab_size}.")
    model = create(config)
    nnx.update(model, params)  # BERT: the encoder's parameters; Sora's LSTM decoder keeps its initialisation
    data = {"imported_from": str(source), "hf_model_type": kind}
    if ours.get("dialogue") and tok is not None:
        if (tok.user_id, tok.assistant_id, tok.eos_id) != (USER_ID, ASSISTANT_ID, EOS_ID):
            raise UserError(f"{source} says it was fine-tuned on dialogues, but its tokenizer lacks minisora's "
                            "<user> / <assistant> / </s> ids.")
        data["dialogue"] = True  # exported by minisora from a fine-tuned run: it reads <user> q <assistant>
    rundir.write_run(out, model, config, data, tokenizer=tok)
    return kind, config, tok
