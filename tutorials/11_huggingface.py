# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Chapter 11 — Your model in the Hugging Face format
#
# A model trained with minisora can leave it, and a published model can come in. The format
# is the one the Hugging Face ecosystem shares (`transformers`, `transformers serve`, vLLM,
# the Hub): a folder with
#
# | file | what it holds |
# |---|---|
# | `config.json` | the shape: `GPT2Config` for ChatGPT, `BertConfig` for Sora's encoder |
# | `model.safetensors` | the weights, by name (`transformer.h.0.attn.c_attn.weight`, …) |
# | `tokenizer.json` | the tokenizer, in the `tokenizers` library's format |
# | `tokenizer_config.json` | the special tokens, and for a chat model the **chat template** |
# | `generation_config.json` | which id ends an answer (`eos_token_id`), which pads |
#
# `minisora/tools/hf.py` converts both ways. ChatGPT *is* GPT-2's layout (chapter 5), so its
# weights map one to one; Sora's encoder is BERT's layout (chapter 3), but its LSTM decoder has
# no Hugging Face class, so only the encoder can leave. This chapter trains a small ChatGPT,
# exports it, and checks that `transformers` gives the same numbers and the same answer.

# %%
import json
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from course import show

import minisora
from minisora.datasets import ARTICLE_QUESTION, SHIPPED_CORPUS, SHIPPED_DIALOGUES
from minisora.inference.chat import dialogue_ids
from minisora.tokenizer import train_tokenizer
from minisora.tools.hf import CHAT_TEMPLATE, export_hf, import_hf, sentencepiece_to_hf

work = Path(tempfile.mkdtemp(prefix="minisora-ch11-"))

# %% [markdown]
# ## 1. A small ChatGPT that answers the article's question
#
# The tokenizer learns the whole shipped corpus; the model learns a few paragraphs of it, then a
# dozen dialogues — among them the article's 「我的账户为什么不能登录？」 — well enough to answer.

# %%
train_tokenizer([SHIPPED_CORPUS], work / "tok", vocab_size=3000)
(work / "corpus.txt").write_text(SHIPPED_CORPUS.read_text(encoding="utf-8")[:4000], encoding="utf-8")
rows = SHIPPED_DIALOGUES["train"].read_text(encoding="utf-8").splitlines()
(work / "dialogues.jsonl").write_text("\n".join([r for r in rows if ARTICLE_QUESTION in r] + rows[:11]) + "\n",
                                      encoding="utf-8")
shape = minisora.ModelConfig(family="gpt", d_model=48, n_heads=4, n_layers=2, d_ff=128, max_len=96)
cfg = minisora.TrainConfig(steps=200, batch_size=8, seq_len=64, lr=3e-3, eval_every=1000, checkpoint_every=200)
minisora.pretrain(work / "corpus.txt", work / "gpt", shape, cfg, tokenizer=work / "tok", quiet=True)
minisora.finetune(work / "gpt", work / "dialogues.jsonl", work / "chat", cfg.replace(steps=150, batch_size=4),
                  quiet=True)
run = minisora.load(work / "chat")
ours = run.generate(ARTICLE_QUESTION, temperature=0.0, max_new_tokens=50)
print("minisora:", ARTICLE_QUESTION, "->", ours)

# %% [markdown]
# ## 2. Export
#
# `export_hf(run, folder)` is `minisora export-hf --run RUN --out DIR`. It refuses a folder that
# is not empty, and writes into a temporary folder first, so a failure leaves nothing half-written.

# %%
family, said = export_hf(work / "chat", work / "chat-hf")
print(family, "|", "; ".join(said))
for p in sorted((work / "chat-hf").iterdir()):
    print(f"  {p.name:24} {p.stat().st_size:>9,} bytes")
hf_config = json.loads((work / "chat-hf" / "config.json").read_text())
print({k: hf_config[k] for k in ("architectures", "n_layer", "n_head", "n_embd", "n_positions", "vocab_size")})

# %% [markdown]
# **The tokenizer** is the subtle part. minisora's SentencePiece model becomes a `tokenizers`
# model with the same pieces (`sentencepiece_to_hf`), and it must give the same ids for *every*
# text — spaces, newlines, Chinese, emoji, characters the vocabulary never saw (spelled as their
# UTF-8 bytes, `<0xF0>` …). The tests check it on hundreds of strings; here are a few:

# %%
hf_tok = sentencepiece_to_hf(run.tokenizer)
for text in ["我的账户为什么不能登录？", "two  spaces\nand a newline", "emoji 😀 and ｆｕｌｌ width"]:
    a, b = run.tokenizer.encode(text), hf_tok.encode(text, add_special_tokens=False).ids
    print(f"{text!r:36} same ids: {a == b}   {len(a)} tokens")
    assert a == b

# %% [markdown]
# **The chat template.** A fine-tuned ChatGPT reads a question as `<user> question <assistant>`,
# earlier turns before it as `<user> q <assistant> a </s>` (chapter 7). A chat model's folder says
# so in a Jinja template, which `tokenizer.apply_chat_template(messages)` renders:

# %%
print(CHAT_TEMPLATE.replace("{%-", "\n{%-").strip())
messages = [{"role": "user", "content": ARTICLE_QUESTION}]
print("minisora's ids for this question:", dialogue_ids(run.tokenizer, messages))

# %% [markdown]
# ## 3. The same model in `transformers`
#
# With the test extra installed (`pip install -e ".[test,parity]"`: PyTorch's CPU build and
# `transformers`), the folder loads as any GPT-2 does — and gives the same logits and the same
# greedy answer. (Without it, this part is skipped; the export above needs neither.)

# %%
try:
    import torch
    import transformers
except ImportError:
    transformers = None
    print("transformers is not installed: skipping the comparison (pip install -e '.[parity]').")

if transformers is not None:
    tok = transformers.AutoTokenizer.from_pretrained(work / "chat-hf")
    model = transformers.AutoModelForCausalLM.from_pretrained(work / "chat-hf").eval()
    ids = tok.apply_chat_template(messages, add_generation_prompt=True)
    ids = list(ids["input_ids"] if hasattr(ids, "keys") else ids)
    assert ids == dialogue_ids(run.tokenizer, messages)
    with torch.no_grad():
        theirs_logits = model(torch.tensor([ids])).logits.numpy()
        out = model.generate(torch.tensor([ids]), max_new_tokens=50, do_sample=False)
    diff = np.abs(np.asarray(run.logits(ids)) - theirs_logits).max()
    theirs = tok.decode(out[0, len(ids):], skip_special_tokens=True)
    print(f"max |logits minisora - logits transformers| = {diff:.2e}")
    print("transformers:", ARTICLE_QUESTION, "->", theirs)
    assert diff < 1e-4 and theirs == ours

# %% [markdown]
# The same folder serves over an OpenAI-compatible API with `transformers serve` (install
# `transformers[serving]`), and loads in three lines:
#
# ```python
# from transformers import AutoModelForCausalLM, AutoTokenizer
# tok, model = AutoTokenizer.from_pretrained("runs/gpt-chat-hf"), AutoModelForCausalLM.from_pretrained("runs/gpt-chat-hf")
# ids = tok.apply_chat_template([{"role": "user", "content": "我的账户为什么不能登录？"}], add_generation_prompt=True, return_tensors="pt")
# ```
#
# ## 4. And back in
#
# `import_hf(folder, run)` (`minisora import-hf --from DIR --out RUN`) reads a GPT-2 or BERT
# folder, with its `tokenizer.json`: the run's tokenizer is then a Hugging Face one behind the
# same interface (`encode`, `decode`, the special ids) as minisora's own. Importing what we just
# exported gives back the same parameters and the same answer:

# %%
import_hf(work / "chat-hf", work / "back")
back = minisora.load(work / "back")
print("tokenizer:", back.tokenizer.kind, "| answer:", back.generate(ARTICLE_QUESTION, temperature=0.0, max_new_tokens=50))
assert back.generate(ARTICLE_QUESTION, temperature=0.0, max_new_tokens=50) == ours

# %% [markdown]
# How close "the same" is, logit by logit: every vocabulary entry at every position of the
# question, minisora's run against the other implementations. On the left the points lie on the
# diagonal; on the right, the size of each difference (log scale). `transformers` runs the same
# arithmetic in another order (PyTorch's kernels), so its logits differ in the last float32 bits,
# around $10^{-6}$ of logits of size ~10; the run imported back from the folder is minisora's own code on
# the same numbers, so its difference is exactly 0 and has no bar on the right.

# %%
prompt_ids = dialogue_ids(run.tokenizer, messages)
ours_logits = np.asarray(run.logits(prompt_ids))[0]  # (T, V)
others = {"minisora, imported back": np.asarray(back.logits(prompt_ids))[0]}
if transformers is not None:
    others["transformers GPT2LMHeadModel"] = theirs_logits[0]
fig, (ax, ax_diff) = plt.subplots(1, 2, figsize=(8, 3.4))
for (label, logits), marker in zip(others.items(), ("o", "x")):
    ax.plot(ours_logits.ravel(), logits.ravel(), marker, ms=2, alpha=0.4, label=label)
    gap = np.abs(logits - ours_logits).ravel()
    print(f"{label}: max |difference| {gap.max():.2e} over {gap.size:,} logits")
    if gap.max() > 0:
        ax_diff.hist(gap[gap > 0], bins=np.logspace(-9, -4, 40), alpha=0.6, label=label)
lo, hi = ours_logits.min(), ours_logits.max()
ax.plot([lo, hi], [lo, hi], "k:", lw=1, label="y = x")
ax.set_xlabel("minisora logit")
ax.set_ylabel("the other's logit")
ax.set_title(f"all {ours_logits.size:,} logits of the question")
ax.legend(fontsize=9, markerscale=4)
ax_diff.set_xscale("log")
ax_diff.set_xlabel("|difference| (logit units, log scale)")
ax_diff.set_ylabel("logits")
ax_diff.set_title("how far apart (non-zero differences)")
if ax_diff.has_data():
    ax_diff.legend(fontsize=9)
fig.tight_layout()
show(fig, "11_logits.png")
assert np.array_equal(others["minisora, imported back"], ours_logits)  # the round trip loses nothing

# %% [markdown]
# A published GPT-2 comes in the same way. Saved once with `transformers` while online
# (`AutoModelForCausalLM.from_pretrained("gpt2").save_pretrained("gpt2")` and the same for
# `AutoTokenizer`), then, offline:
#
# ```bash
# minisora import-hf --from gpt2 --out runs/gpt2
# minisora generate --run runs/gpt2 --prompt "The meaning of life is" --temperature 0
# ```
#
# and the hand-written JAX decoder of chapters 5 and 8 writes English with OpenAI's weights
# (`tests/tools/test_hf_import_tokenizer.py` checks that its text equals `transformers`'
# text for a GPT-2 built there). A Sora exports its encoder only: `minisora export-hf` says so.

# %% [markdown]
# ## Exercises
#
# 1. **The name map.** Write `gpt2_name(path)`: the GPT-2 tensor name (after `transformer.`) of
#    one of ChatGPT's parameters, given its path as a tuple — `("tok_embed", "embedding")` is
#    `"wte.weight"`, `("blocks", 3, "attn", "qkv", "kernel")` is `"h.3.attn.c_attn.weight"`. The
#    parts: `tok_embed` → `wte`, `pos_embed` → `wpe`, `ln_f` → `ln_f`; in block $i$ (`h.i.`),
#    `ln1`/`ln2` → `ln_1`/`ln_2`, `attn/qkv` → `attn.c_attn`, `attn/out` → `attn.c_proj`,
#    `fc1` → `mlp.c_fc`, `fc2` → `mlp.c_proj`; a `kernel`, `embedding` or LayerNorm `scale` is a
#    `weight`, a `bias` a `bias`. Checked against every entry of `minisora.tools.hf.gpt2_table`.
# 2. **BERT's three matrices.** Sora's encoder keeps $W_q, W_k, W_v$ fused in one `attn/qkv` kernel of
#    shape (C, 3C), columns `[q | k | v]`, used as $x W$; BERT stores `query`, `key` and `value` apart,
#    as PyTorch `nn.Linear` weights of shape (out, in), used as $x W^\top$. Write
#    `split_qkv(kernel, bias)` -> a dict with the six arrays `"query.weight"`, `"query.bias"`,
#    `"key.weight"`, … as BERT stores them. Checked against the tensors `hf.bert_to_hf` writes for a
#    small Sora.
#
# Solutions: `tutorials/solutions/ch11.py`.

# %%
from course import ch11


def gpt2_name(path):
    """ChatGPT's parameter path (a tuple) -> its GPT-2 tensor name, without the "transformer." prefix."""
    raise NotImplementedError  # your code here


def split_qkv(kernel, bias):
    """A fused (C, 3C) kernel and (3C,) bias -> BERT's query / key / value weights (out, in) and biases."""
    raise NotImplementedError  # your code here


ch11.check_gpt2_name(gpt2_name)
ch11.check_split_qkv(split_qkv)
