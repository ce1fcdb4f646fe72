"""minisora: the article's "Sora" (bidirectional encoder -> LSTM decoder) and "ChatGPT" (GPT-2-style
causal decoder), written from scratch in JAX + Flax NNX.

The layout shows the architecture, one layer per folder (arrows point down; no circles):

    cli/          the ``minisora`` command: flags -> the plain-argument calls below
    tools/        bench, compare + report, metrics, flops, hf (Hugging Face import)
    inference/    sampling, decode (one lax.scan), chat, run (load a run directory)
    training/     batches, losses, optim, step, loop, checkpoint, jobs (pretrain / finetune)
    parallel/     mesh, sharding rules, several hosts
    nn/           the models: attention, encoder, lstm, gpt (ChatGPT), sora
    config.py  tokenizer.py  datasets.py  errors.py

The public API, in Python:

    run = minisora.load("runs/gpt-chat");  run.generate("我的账户为什么不能登录？")  # greedy
    model = minisora.create(minisora.config_from_preset("gpt", "tiny"))
    minisora.pretrain("data/corpus.txt", "runs/gpt", model_config, minisora.TrainConfig(steps=500))
"""

from .config import FAMILIES, PRESETS, ModelConfig, TrainConfig, config_from_preset
from .errors import UserError
from .inference.chat import generate_text
from .inference.decode import generate
from .inference.run import Run, load
from .nn import count_params, create
from .tokenizer import Tokenizer, train_tokenizer
from .training.jobs import finetune, pretrain
from .training.loop import train

__version__ = "0.1.0"

__all__ = [
    "FAMILIES", "PRESETS", "ModelConfig", "Run", "Tokenizer", "TrainConfig", "UserError", "config_from_preset",
    "count_params", "create", "finetune", "generate", "generate_text", "load", "pretrain", "train",
    "train_tokenizer",
]
