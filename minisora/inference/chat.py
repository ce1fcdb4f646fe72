"""Text in, text out: prompts and dialogues through a loaded run (run.py).

    generate_text(run, "prompt")            the continuation (for a fine-tuned run: the answer)
    chat_context(history, question, room)   the ids the models read for the next answer:
                                            <user> q₁ <assistant> a₁ </s> … <user> q <assistant>
    dialogue_ids(tok, messages)             the same layout from chat messages [{"role", "content"}]
                                            (what an exported model's chat template writes)
    print_stream(tok, chunks)               show a stream of tokens as text while it comes
                                            (chat's view: runs of blank lines capped, BlankLineCap)

A run fine-tuned on dialogues reads its prompt as ``<user> question <assistant>``; a
pre-trained one continues the text as it is.
"""

from __future__ import annotations

import sys

from flax import nnx

from ..errors import UserError
from ..tokenizer import ASSISTANT_ID, EOS_ID, USER_ID, chat_prompt
from .decode import generate
from .sampling import (
    DEFAULT_MAX_NEW_TOKENS,
    DEFAULT_SEED,
    DEFAULT_TEMPERATURE,
    DEFAULT_TOP_K,
    DEFAULT_TOP_P,
)


def tokenizer_of(run):
    if run.tokenizer is None:
        raise UserError(f"The run {run.run_dir} has no tokenizer/ folder, so it cannot read or write text.")
    return run.tokenizer


def is_chat(run) -> bool:
    """A run fine-tuned on dialogues (or imported from one minisora exported) reads its prompt as
    ``<user> question <assistant>``."""
    return (run.train_config or {}).get("kind") == "dialogue" or bool(run.data.get("dialogue"))


def special_args(tok) -> dict:
    """The decoder's stop ids and start id for ``tok``: its </s> (none if it has none) and its <s>
    (else its </s>, as GPT-2's <|endoftext|> is both)."""
    return dict(stop_ids=() if tok.eos_id is None else (tok.eos_id,),
                start_id=tok.bos_id if tok.bos_id is not None else tok.eos_id)


def encode_prompt(run, text: str) -> list[int]:
    """The ids a run reads for ``text``: the question's chat prompt for a fine-tuned run."""
    tok = tokenizer_of(run)
    ids = tok.encode(text)
    if not is_chat(run):
        return ids
    if (tok.user_id, tok.assistant_id, tok.eos_id) != (USER_ID, ASSISTANT_ID, EOS_ID):
        raise UserError(f"The run {run.run_dir} reads dialogues, but its tokenizer lacks minisora's <user> / <assistant> ids.")
    return chat_prompt(ids)


def generate_text(run, prompt="", *, max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
                  temperature: float = DEFAULT_TEMPERATURE, top_k: int | None = DEFAULT_TOP_K,
                  top_p: float | None = DEFAULT_TOP_P, seed: int = DEFAULT_SEED, num_samples: int = 1, warn=None):
    """A loaded run + prompt text -> the generated continuation (text); greedy unless a
    ``temperature`` > 0 is given (the defaults `minisora generate` and `minisora chat` use too).

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
                    top_k=top_k, top_p=top_p, seed=seed, warn=warn, **special_args(tokenizer_of(run)))
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


def dialogue_ids(tok, messages, *, add_generation_prompt: bool = True) -> list[int]:
    """Chat messages [{"role": "user" | "assistant" | "system", "content": str}] -> minisora's
    dialogue layout: user -> ``<user> q``, assistant -> ``<assistant> a </s>``, then ``<assistant>``
    for the answer to come. System messages are left out (the models never saw one); an exported
    model's chat template (tools/hf.py) writes exactly these ids."""
    ids = []
    for m in messages:
        if m["role"] == "user":
            ids += [USER_ID, *tok.encode(m["content"])]
        elif m["role"] == "assistant":
            ids += [ASSISTANT_ID, *tok.encode(m["content"]), EOS_ID]
    return ids + ([ASSISTANT_ID] if add_generation_prompt else [])


# `minisora chat` shows at most this many blank lines in a row: a model that emits newlines would
# otherwise scroll the question off the screen (the answer kept in the history is unchanged).
CHAT_BLANK_LINES = 1


class BlankLineCap:
    """A text that arrives in pieces, as the terminal shows it: at most ``keep`` blank lines in a row.
    A line of spaces only is blank and shows empty; all other text shows as it is. ``feed`` each
    piece, then ``finish``: what they return is the view of the whole text, however it was split."""

    def __init__(self, keep: int):
        self.keep, self.newlines, self.spaces = keep, 0, ""  # newlines in a row so far; spaces held back

    def feed(self, text: str) -> str:
        shown = []
        for c in text:
            if c == "\n":
                self.spaces = ""  # the line held only spaces: it shows empty
                self.newlines += 1
                if self.newlines <= self.keep + 1:
                    shown.append(c)
            elif c.isspace() and self.newlines:
                self.spaces += c  # wait: is this line blank?
            else:
                shown.append(self.spaces + c)
                self.newlines, self.spaces = 0, ""
        return "".join(shown)

    def finish(self) -> str:
        spaces, self.spaces = self.spaces, ""
        return spaces


def print_stream(tok, chunks, stop_ids=None, out=None, blank_lines: int | None = None) -> list[int]:
    """Print row 0 of a token stream as text while it comes (to ``out``, default: the current
    ``sys.stdout``); return its ids (stop token cut; default stop: the tokenizer's </s>).
    ``blank_lines``: show at most that many blank lines in a row (the ids are not changed)."""
    out = sys.stdout if out is None else out  # looked up per call: redirections made later apply
    view = BlankLineCap(blank_lines) if blank_lines is not None else None
    show = view.feed if view is not None else str
    stop_ids = special_args(tok)["stop_ids"] if stop_ids is None else stop_ids
    ids, shown = [], ""
    for ys in chunks:
        row = [int(y) for y in ys[0]]
        stop = next((i for i, y in enumerate(row) if y in stop_ids), None)
        ids += row if stop is None else row[:stop]
        text = tok.decode(ids).rstrip("\ufffd")  # hold back a character whose bytes are not all here yet
        out.write(show(text[len(shown):]))
        out.flush()
        shown = text
        if stop is not None:
            break
    text = tok.decode(ids)
    out.write(show(text[len(shown):]) + (view.finish() if view is not None else "") + "\n")
    out.flush()
    return ids
