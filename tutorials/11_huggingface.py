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

import numpy as np

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
