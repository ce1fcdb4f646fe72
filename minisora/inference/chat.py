"""Text in, text out: prompts and dialogues through a loaded run (run.py).

    generate_text(run, "prompt")            the continuation (for a fine-tuned run: the answer)
    chat_context(history, question, room)   the ids the models read for the next answer:
                                            <user> q₁ <assistant> a₁ </s> … <user> q <assistant>
    print_stream(tok, chunks)               show a stream of tokens as text while it comes

A run fine-tuned on dialogues reads its prompt as ``<user> question <assistant>``; a
pre-trained one continues the text as it is.
"""

from __future__ import annotations

import sys

from flax import nnx

from ..errors import UserError
from ..tokenizer import EOS_ID, chat_prompt
from .decode import generate


def tokenizer_of(run):
    if run.tokenizer is None:
        raise UserError(f"The run {run.run_dir} has no tokenizer/ folder, so it cannot read or write text.")
    return run.tokenizer


def is_chat(run) -> bool:
    """A run fine-tuned on dialogues reads its prompt as ``<user> question <assistant>``."""
    return (run.train_config or {}).get("kind") == "dialogue"


def encode_prompt(run, text: str) -> list[int]:
    """The ids a run reads for ``text``: the question's chat prompt for a fine-tuned run."""
    ids = tokenizer_of(run).encode(text)
    return chat_prompt(ids) if is_chat(run) else ids


def generate_text(run, prompt="", *, max_new_tokens: int = 100, temperature: float = 1.0,
                  top_k: int | None = None, top_p: float | None = None, seed: int = 0,
                  num_samples: int = 1, warn=None):
    """A loaded run + prompt text -> the generated continuation (text).

    For a run fine-tuned on dialogues the prompt is a question and the text its answer. A list of
    prompts, or ``num_samples`` > 1, gives a list of texts (the samples of each prompt in turn);
    one prompt and one sample give one string.
    """
    if num_samples < 1:
        raise UserError(f"num_samples must be at least 1, not {num_samples}.")
    texts = [prompt] if isinstance(prompt, str) else list(prompt)
    ids = [encode_prompt(run, text) for text in texts for _ in range(num_samples)]
    graphdef, params = nnx.split(run.model)
    rows = generate(graphdef, params, ids, run.config, max_new_tokens=max_new_tokens, temperature=temperature,
                    top_k=top_k, top_p=top_p, seed=seed, warn=warn)
    out = [tokenizer_of(run).decode(row) for row in rows]
    return out[0] if isinstance(prompt, str) and num_samples == 1 else out


def chat_context(history, question, room: int) -> list[int]:
    """The ids both models read for the next answer: earlier turns ``<user> q <assistant> a </s>``
    then ``<user> question <assistant>``, dropping the oldest turns (and, if need be, the start of
    the question) to fit ``room`` tokens."""
    turns = [chat_prompt(q) + list(a) + [EOS_ID] for q, a in history]
    now = chat_prompt(question, room=room)
    while turns and sum(map(len, turns)) + len(now) > room:
        turns.pop(0)
    return [i for turn in turns for i in turn] + now


def print_stream(tok, chunks, stop_ids=(EOS_ID,), out=None) -> list[int]:
    """Print row 0 of a token stream as text while it comes (to ``out``, default: the current
    ``sys.stdout``); return its ids (stop token cut)."""
    out = sys.stdout if out is None else out  # looked up per call: redirections made later apply
    ids, shown = [], ""
    for ys in chunks:
        row = [int(y) for y in ys[0]]
        stop = next((i for i, y in enumerate(row) if y in stop_ids), None)
        ids += row if stop is None else row[:stop]
        text = tok.decode(ids).rstrip("\ufffd")  # hold back a character whose bytes are not all here yet
        out.write(text[len(shown):])
        out.flush()
        shown = text
        if stop is not None:
            break
    text = tok.decode(ids)
    out.write(text[len(shown):] + "\n")
    out.flush()
    return ids
