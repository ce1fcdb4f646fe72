"""What a run is made of, as plain dataclasses: the model's shape and the training settings.

    ModelConfig    the shape of a Sora or a ChatGPT (``family``), one dataclass for both
    PRESETS        shapes by name: tiny (tutorials, tests, demo), baby (nanoGPT's CPU GPT),
                   gpt2-small, bert-base
    TrainConfig    everything that decides a run's numbers (saved in RUN_DIR/config.json)

Nothing here imports JAX: a config can be read, changed and saved without building a model.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .errors import UserError

FAMILIES = ("gpt", "sora")  # "gpt": ChatGPT, the causal decoder; "sora": encoder -> LSTM decoder


@dataclass(frozen=True)
class ModelConfig:
    """Shape of a model. One dataclass serves both families.

    For ``gpt`` (ChatGPT) ``n_layers`` counts decoder blocks; for ``sora`` it
    counts encoder blocks, and the decoder is one LSTM of width ``d_lstm``.
    """

    family: str = "gpt"  # "gpt" (ChatGPT, causal decoder) or "sora" (encoder -> LSTM)
    vocab_size: int = 8000
    d_model: int = 128  # width C of the Transformer
    n_heads: int = 4
    n_layers: int = 4
    d_ff: int = 512  # feed-forward width (4 C in GPT-2 and BERT)
    max_len: int = 256  # size of the learned position table = longest context
    dropout: float = 0.0
    layer_norm_eps: float = 1e-5  # GPT-2: 1e-5; BERT: 1e-12
    # Sora only
    d_lstm: int = 128  # LSTM hidden size
    type_vocab_size: int = 2  # BERT segment embeddings
    pooler: bool = False  # BERT's tanh pooler on [CLS] (only to match BertModel)
    # compute
    dtype: str = "float32"  # compute dtype; parameters stay float32
    remat: bool = False  # rematerialise each block in the backward pass
    scan_layers: bool = False  # lax.scan over stacked blocks (flat compile time in depth)

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    def replace(self, **changes) -> "ModelConfig":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        """From a saved dict; runs written before the rename call the family ``model``."""
        d = dict(d)
        if "model" in d and "family" not in d:
            d["family"] = d.pop("model")
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


# Shapes by name. ``vocab_size`` is replaced by the tokenizer's when a run is made.
PRESETS: dict[str, dict] = {
    # ~1 M parameters with an 8k vocabulary: CPU tutorials, tests, the demo.
    "tiny": dict(d_model=96, n_heads=4, n_layers=2, d_ff=384, max_len=256, d_lstm=96),
    # nanoGPT's CPU "baby GPT" (shakespeare_char on a laptop).
    "baby": dict(vocab_size=65, d_model=128, n_heads=4, n_layers=4, d_ff=512, max_len=256, d_lstm=128),
    # GPT-2 small: 124,439,808 parameters with the tied head.
    "gpt2-small": dict(vocab_size=50257, d_model=768, n_heads=12, n_layers=12, d_ff=3072, max_len=1024, dropout=0.1),
    # BERT-base: 109,482,240 parameters in the encoder with its pooler.
    "bert-base": dict(
        vocab_size=30522, d_model=768, n_heads=12, n_layers=12, d_ff=3072, max_len=512,
        dropout=0.1, layer_norm_eps=1e-12, type_vocab_size=2, pooler=True, d_lstm=768,
    ),
}


def config_from_preset(family: str, preset: str, **overrides) -> ModelConfig:
    """The preset's shape for ``family``; overrides that are not None replace its fields."""
    if family not in FAMILIES:
        raise UserError(f"Unknown model {family!r}; choose one of: {', '.join(FAMILIES)}.")
    if preset not in PRESETS:
        raise UserError(f"Unknown preset {preset!r}; choose one of: {', '.join(PRESETS)}.")
    fields = dict(PRESETS[preset], family=family)
    fields.update({k: v for k, v in overrides.items() if v is not None})
    return ModelConfig(**fields)


def describe_presets() -> str:
    """The presets' shapes as a table, one preset a line (what `minisora presets` prints). Layers are
    ChatGPT's decoder blocks, or Sora's encoder blocks before its one LSTM; the vocabulary is the
    tokenizer's, whatever the preset says."""
    columns = (("width", "d_model"), ("heads", "n_heads"), ("layers", "n_layers"), ("feed-forward", "d_ff"),
               ("context", "max_len"), ("LSTM", "d_lstm"), ("dropout", "dropout"))
    rows = [("preset", *(title for title, _ in columns))]
    for name in PRESETS:
        config = config_from_preset("gpt", name)
        rows.append((name, *(str(getattr(config, field)) for _, field in columns)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
             for row in rows]
    return "\n".join(lines)


# --- training --------------------------------------------------------------------------------

OPTIMIZERS = ("sgd", "momentum", "adamw")
DEFAULT_LR = {"sgd": 0.5, "momentum": 0.1, "adamw": 1e-3}  # best of a short sweep on the baby GPT


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a run's numbers (saved in RUN_DIR/config.json)."""

    kind: str = "text"  # "text" (pre-training) or "dialogue" (fine-tuning)
    steps: int = 1000
    batch_size: int = 16
    seq_len: int = 128  # tokens per row (Sora: encoder prefix + decoder continuation)
    prefix_len: int | None = None  # Sora's encoder length (default: half of seq_len)
    optimizer: str = "adamw"
    lr: float | None = None  # peak α (default per optimizer: DEFAULT_LR)
    min_lr: float | None = None  # α_min at the end of the cosine (default α / 10)
    warmup: int | None = None  # W (default: 10 % of the steps, at most 100)
    decay_from: int | None = None  # D: α stays at its peak until step D, then the cosine (default: D = W)
    weight_decay: float = 0.1  # AdamW's λ, on matrices only
    momentum: float = 0.9  # μ for "momentum"
    clip: float = 1.0  # global-norm clip c (0 = off)
    seed: int = 0
    eval_every: int = 100
    eval_batches: int = 8
    checkpoint_every: int = 200
    keep: int = 3  # checkpoints kept
    log_every: int = 10

    def replace(self, **changes) -> "TrainConfig":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def resolved(self) -> "TrainConfig":
        """Fill the defaults that depend on other fields, and check the values."""
        if self.optimizer not in OPTIMIZERS:
            raise UserError(f"Unknown optimizer {self.optimizer!r}; choose one of: {', '.join(OPTIMIZERS)}.")
        for name in ("steps", "batch_size", "seq_len", "eval_every", "checkpoint_every", "log_every", "keep"):
            if getattr(self, name) < 1:
                raise UserError(f"--{name.replace('_', '-')} must be at least 1 (got {getattr(self, name)}).")
        lr = DEFAULT_LR[self.optimizer] if self.lr is None else self.lr
        if not lr > 0:
            raise UserError(f"--lr must be positive (got {lr}).")
        warmup = min(100, self.steps // 10) if self.warmup is None else self.warmup
        if self.decay_from is not None and not 0 <= self.decay_from < self.steps:
            raise UserError(f"decay_from must be a step before the last ({self.steps}); got {self.decay_from}.")
        return dataclasses.replace(self, lr=lr, min_lr=lr / 10 if self.min_lr is None else self.min_lr,
                                   warmup=min(warmup, self.steps - 1))

    @property
    def encoder_len(self) -> int:
        """Sora's encoder part of a row: ``prefix_len``, else half of ``seq_len``."""
        return self.prefix_len or self.seq_len // 2


def check_lengths(config: ModelConfig, cfg: TrainConfig) -> None:
    """One sentence if the rows ``cfg`` trains on do not fit the model ``config``."""
    S = cfg.encoder_len
    longest = cfg.seq_len if config.family == "gpt" else max(S, cfg.seq_len - S)
    if longest > config.max_len:
        raise UserError(f"--seq-len {cfg.seq_len} is longer than the model's position table ({config.max_len}).")
    if config.family == "sora" and not 0 < S < cfg.seq_len:
        raise UserError(f"--prefix-len must be between 1 and --seq-len − 1 (got {S} of {cfg.seq_len}).")
