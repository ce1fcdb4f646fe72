"""minisora: the article's "Sora" (bidirectional encoder -> LSTM decoder) and
"ChatGPT" (GPT-2-style causal decoder), written from scratch in JAX + Flax NNX."""

__version__ = "0.1.0"


def load(run_dir):
    """Load a run directory (config, tokenizer, newest checkpoint) as a handle with
    ``.model``, ``.tokenizer``, ``.logits(ids)`` and ``.generate(...)``."""
    from .run import load as _load

    return _load(run_dir)
