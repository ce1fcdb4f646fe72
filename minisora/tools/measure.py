r"""What ``minisora compare`` measures on a trained model (compare.py trains them).

    language    held-out continuation loss L = −(1/C) Σ_t log p(y_t | prompt, y_<t) (nats/token)
    context     the same loss as a function of the prompt length P (same continuations for all P),
                on windows inside one paragraph (``paragraph_windows``) and on any windows
    dialogue    exact match and token F1 of greedy answers on held-out test questions
    diversity   distinct-1/2 and the repeated 3-gram rate of samples at one temperature
    cost        decoding tokens/s, decode-state bytes vs length
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from .. import nn
from ..datasets import ARTICLE_ANSWER, ARTICLE_QUESTION
from ..errors import UserError
from ..inference.decode import generate
from ..tokenizer import BOS_ID, chat_prompt, pad_rows
from ..training.losses import token_nll
from . import metrics as text_metrics


@partial(jax.jit, static_argnames=("graphdef",))
def _continuation_nll(graphdef, state, prompt, mask, cont):
    """−log p(cont | prompt) per row, averaged over its C tokens (nats/token).

    prompt (B, P) LEFT-padded with mask (B, P), continuation (B, C); teacher-forced. Left
    padding lets prompts of every length share one compiled program: positions count real
    tokens only and pads are hidden from attention, so a padded row scores as it would alone.
    """
    model = nnx.merge(graphdef, state)
    P = prompt.shape[1]
    if model.config.family == "gpt":
        ids = jnp.concatenate([prompt, cont], axis=1)  # (B, P + C)
        full_mask = jnp.concatenate([mask, jnp.ones_like(cont)], axis=1)
        logits = model(ids, mask=full_mask, deterministic=True)[:, P - 1 : -1]  # (B, C, V): predicts cont
    else:
        dec_in = jnp.concatenate([jnp.full_like(cont[:, :1], BOS_ID), cont[:, :-1]], axis=1)  # (B, C)
        _, logits = model(prompt, mask, dec_in, deterministic=True)  # (B, C, V)
    return token_nll(logits, cont).mean(axis=1)  # (B,)


def eval_windows(val_ids, n: int, prompt_len: int, cont_len: int) -> np.ndarray:
    """``n`` held-out windows of prompt_len + cont_len ids, evenly spread (fixed for a whole run)."""
    L = prompt_len + cont_len
    if len(val_ids) < L:
        raise UserError(f"The held-out tenth of the corpus has {len(val_ids)} tokens, fewer than one "
                        f"evaluation window of {L}; use a longer corpus.")
    starts = np.linspace(0, len(val_ids) - L, n).astype(int)
    return np.asarray(val_ids, np.int32)[starts[:, None] + np.arange(L)]  # (n, L)


def paragraph_windows(val_ids, n: int, prompt_len: int, cont_len: int, separator) -> np.ndarray:
    """``n`` held-out windows of prompt_len + cont_len ids that each lie inside one paragraph:
    a window starts where a paragraph starts (right after ``separator``, the ids of a blank line)
    and ends before the paragraph does, so a prompt of any length up to ``prompt_len`` is text of
    the same paragraph. The paragraphs long enough are chosen evenly spread, in corpus order.

    Why: the shipped corpus is a shuffle of independent paragraphs (median 58 tokens), so a
    prompt that reaches across a blank line reads unrelated text, and its loss says how well a
    model ignores noise, not how well it uses context."""
    ids = np.asarray(val_ids, np.int32)
    sep = np.asarray(separator, np.int32)
    L, k = prompt_len + cont_len, len(sep)
    hits = np.flatnonzero(np.all([ids[i : len(ids) - k + 1 + i] == sep[i] for i in range(k)], axis=0))
    starts = hits + k  # the first id of each paragraph after a separator (the first, cut, paragraph is not one)
    ends = np.append(hits[1:], len(ids))  # where each such paragraph stops
    fits = starts[ends - starts >= L]
    if len(fits) == 0:
        raise UserError(f"No held-out paragraph is {L} tokens long ({prompt_len}-token prompt + {cont_len}-token "
                        "continuation); use a corpus of longer paragraphs.")
    chosen = fits[np.linspace(0, len(fits) - 1, min(n, len(fits))).round().astype(int)]
    return ids[chosen[:, None] + np.arange(L)]  # (min(n, paragraphs), L)


@dataclass
class ContextSet:
    """The held-out rows of the context test: every window once per prompt length P.

    Row (i, w) = the last P_i tokens before window w's continuation, left-padded to max P.
    """

    prompt_lengths: list
    prompt: np.ndarray  # (n_P · K, P_max)
    mask: np.ndarray  # (n_P · K, P_max)
    cont: np.ndarray  # (n_P · K, C)

    @classmethod
    def build(cls, windows: np.ndarray, prompt_lengths, C: int) -> ContextSet:
        _K, L = windows.shape
        P_max = L - C
        rows = [pad_rows([list(w[L - C - P : L - C]) for w in windows], P_max, left=True) for P in prompt_lengths]
        prompt = np.concatenate([r[0] for r in rows])
        mask = np.concatenate([r[1] for r in rows])
        return cls(list(prompt_lengths), prompt, mask, np.tile(windows[:, L - C :], (len(prompt_lengths), 1)))

    def only(self, P: int) -> ContextSet:
        """The rows of prompt length P alone, padded to P only."""
        i, K = self.prompt_lengths.index(P), len(self.prompt) // len(self.prompt_lengths)
        rows = slice(i * K, (i + 1) * K)
        return ContextSet([P], self.prompt[rows, -P:], self.mask[rows, -P:], self.cont[rows])

    def continuation_bytes(self, token_bytes) -> int:
        """UTF-8 bytes of the scored continuations of one prompt length (the same for every P),
        ``token_bytes`` (V,) from ``training.losses.piece_bytes``: the denominator of bits per byte."""
        K = len(self.cont) // len(self.prompt_lengths)
        return int(np.asarray(token_bytes)[self.cont[:K]].sum())

    def losses(self, model) -> list[float]:
        """Mean continuation loss (nats/token) at each prompt length."""
        graphdef, state = nnx.split(model)
        nll = np.asarray(_continuation_nll(graphdef, state, self.prompt, self.mask, self.cont))
        return [float(x) for x in nll.reshape(len(self.prompt_lengths), -1).mean(axis=1)]


def context_curve(model, rows: ContextSet) -> dict:
    loss = rows.losses(model)
    return {"prompt_len": rows.prompt_lengths, "loss": loss, "long_loss": loss[-1], "gain": loss[0] - loss[-1]}


def diversity(model, tok, prompts, *, new_tokens: int, temperature: float, seed: int) -> dict:
    """distinct-n and repetition of samples of ``new_tokens`` at ``temperature``, and the decoder's
    speed: the same call again (compiled by then) with another seed, timed."""
    graphdef, state = nnx.split(model)
    sample = partial(generate, graphdef, state, prompts, model.config, max_new_tokens=new_tokens,
                     temperature=temperature)
    rows = sample(seed=seed)
    t0 = time.perf_counter()
    sample(seed=seed + 1000)  # the scan runs all its steps whatever the stop tokens
    tokens_per_s = len(prompts) * new_tokens / (time.perf_counter() - t0)
    texts = [tok.decode(r) for r in rows]
    return {"distinct_1": text_metrics.distinct_n(texts, 1), "distinct_2": text_metrics.distinct_n(texts, 2),
            "repeated_3": text_metrics.repeated_ngram_rate(texts, 3), "samples": texts[:3],
            "decode_tokens_per_s": tokens_per_s}


def answer(model, tok, questions, max_tokens: int) -> list[str]:
    """Greedy answers (at most ``max_tokens``) of a fine-tuned model to ``questions`` (text)."""
    graphdef, state = nnx.split(model)
    prompts = [chat_prompt(tok.encode(q)) for q in questions]
    rows = generate(graphdef, state, prompts, model.config, max_new_tokens=max_tokens, temperature=0.0)
    return [tok.decode(r) for r in rows]


def dialogue_scores(model, tok, test_pairs, max_tokens: int) -> dict:
    """Exact match and token F1 of greedy answers to the test questions, a few samples (the
    article's own question first), and every answer (``answers``, in the test questions' order)."""
    questions = [q for q, _ in test_pairs]
    answers = answer(model, tok, questions + [ARTICLE_QUESTION], max_tokens)
    refs = [a for _, a in test_pairs]
    em = float(np.mean([text_metrics.exact_match(p, r) for p, r in zip(answers, refs)]))
    f1 = float(np.mean([text_metrics.token_f1(p, r) for p, r in zip(answers, refs)]))
    samples = [{"question": ARTICLE_QUESTION, "reference": ARTICLE_ANSWER, "answer": answers[-1]}]
    samples += [{"question": q, "reference": r, "answer": p} for q, r, p in zip(questions[:4], refs[:4], answers[:4])]
    return {"em": em, "f1": f1, "samples": samples, "answers": answers[:-1]}


def state_bytes(model, new_tokens, prompt_len: int = 16) -> dict:
    """Bytes of one sequence's decoding state after ``prompt_len`` + n tokens, for each n."""
    out = [nn.state_bytes(model.config, prompt_len, n) for n in new_tokens]
    return {"new_tokens": list(new_tokens), "bytes": out}
