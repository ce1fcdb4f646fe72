"""The command layer (minisora/cli/commands.py) as a user meets it, through ``minisora.cli.main``:
the compute flags (--dtype, --remat, --scan-layers) reach the run's saved config and the model
that ``minisora.load`` rebuilds, ``--resume`` keeps the run's own settings, and wrong names,
meshes and settings are one sentence on stderr with exit status 2, before anything is written.

(Decoding commands: tests/inference/test_decode.py; pretrain/finetune/resume/import-hf end to end:
tests/inference/test_run.py; import-hf's bad folders: tests/tools/test_hf.py.)
"""

import json

import jax
import numpy as np
import pytest
from flax import nnx

import minisora
from minisora.cli import main
from minisora.nn import create

MICRO = dict(d_model=16, n_heads=2, n_layers=2, d_ff=32, max_len=32, d_lstm=16)
# the fixtures micro (this MICRO as a preset) and files (corpus, dialogues, tokenizer): tests/conftest.py


def _cli(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _pretrain_argv(files, out, *extra):
    return ["pretrain", "--corpus", str(files / "corpus.txt"), "--tokenizer", str(files / "tok"), "--out", str(out),
            "--preset", "micro", "--steps", "2", "--batch-size", "2", "--seq-len", "12", "--eval-every", "2",
            "--eval-batches", "1", "--checkpoint-every", "2", "--log-every", "1", *extra]


@pytest.mark.slow  # ~30 s on 2 cores: two compiles (the run, its resumption)
def test_compute_flags_reach_the_run_and_resume_keeps_them(tmp_path, files, micro, capsys):
    run = tmp_path / "run"
    code, _, err = _cli(_pretrain_argv(files, run, "--dtype", "bfloat16", "--remat"), capsys)
    assert code == 0, err
    saved = json.loads((run / "config.json").read_text())["model"]
    assert (saved["family"], saved["dtype"], saved["remat"], saved["scan_layers"]) == ("gpt", "bfloat16", True, False)

    # --scan-layers would need the weights stacked differently: refused, one sentence, nothing trained
    code, out, err = _cli(["pretrain", "--corpus", str(files / "corpus.txt"), "--out", str(run), "--resume",
                           "--steps", "3", "--scan-layers"], capsys)
    assert code == 2 and out == "" and err.startswith("minisora: error: ") and err.count("\n") == 1
    assert "without --scan-layers" in err and minisora.load(run).step == 2

    # no flags: the run's own settings (bfloat16 matmuls, remat), trained on to step 3
    code, _, err = _cli(["pretrain", "--corpus", str(files / "corpus.txt"), "--out", str(run), "--resume",
                         "--steps", "3"], capsys)
    assert code == 0, err
    handle = minisora.load(run)
    assert handle.step == 3 and handle.config.dtype == "bfloat16" and handle.config.remat
    assert json.loads((run / "config.json").read_text())["model"] == saved
    ids = np.asarray([handle.tokenizer.encode("the cat")])
    assert np.isfinite(np.asarray(handle.logits(ids))).all()


def test_scan_layers_flag_trains_a_stacked_model(tmp_path, files, micro, capsys):
    run = tmp_path / "scan"
    code, _, err = _cli(_pretrain_argv(files, run, "--scan-layers"), capsys)
    assert code == 0, err
    handle = minisora.load(run)
    assert handle.config.family == "gpt" and handle.config.scan_layers and handle.step == 2
    # the blocks are one stack: every block parameter has the layer axis in front
    block = jax.tree.leaves(nnx.state(handle.model.blocks, nnx.Param))
    assert block and all(x.shape[0] == MICRO["n_layers"] for x in block)
    # trained: not the fresh initialisation of the same config
    fresh = jax.tree.leaves(nnx.state(create(handle.config, seed=0).blocks, nnx.Param))
    assert any(not np.array_equal(a, b) for a, b in zip(block, fresh))


@pytest.mark.parametrize("flags, says", [
    (["--model", "bert"], "Unknown model"),
    (["--preset", "huge"], "Unknown preset"),
    (["--mesh", "data=3"], "devices"),  # this process has one CPU device
    (["--mesh", "batch=1"], "Bad mesh entry"),
    (["--steps", "0"], "--steps must be at least 1"),
    (["--lr", "-1"], "--lr must be positive"),
    (["--seq-len", "64"], "position table"),  # micro's context is 32
    (["--context", "8"], "position table (8)"),  # --seq-len 12 does not fit a context of 8
    (["--resume"], "no run directory"),
    (["--context", "0"], "--context must be at least 1"),
    (["--tokenizer-type", "char"], "give one of them"),  # _pretrain_argv passes --tokenizer
])
def test_bad_pretrain_flags_are_one_sentence(tmp_path, files, micro, capsys, flags, says):
    run = tmp_path / "run"
    code, out, err = _cli(_pretrain_argv(files, run, *flags), capsys)
    assert code == 2 and out == ""
    assert err.startswith("minisora: error: ") and err.count("\n") == 1 and says in err
    assert "Traceback" not in err and not run.exists()


def test_finetune_refuses_what_it_cannot_read(tmp_path, files, capsys):
    dialogues = tmp_path / "d.jsonl"
    dialogues.write_text(json.dumps({"question": "who sat?", "answer": "the cat."}) + "\n")
    code, _, err = _cli(["finetune", "--from", str(tmp_path / "nothing"), "--dialogues", str(dialogues),
                         "--out", str(tmp_path / "out")], capsys)
    assert code == 2 and err.count("\n") == 1 and "no run directory" in err
    assert not (tmp_path / "out").exists()


def test_tokenizer_type_char_is_the_two_command_recipe(tmp_path, files, micro, capsys):
    """`pretrain --tokenizer-type char` = `tokenizer train --model-type char` then `pretrain --tokenizer`:
    the same pieces, the same parameters; --context sets the position table over the preset's; each
    held-out loss is printed when it is computed."""
    corpus = str(files / "corpus.txt")
    common = ["--corpus", corpus, "--preset", "micro", "--context", "40", "--steps", "2", "--batch-size", "2",
              "--seq-len", "12", "--eval-every", "1", "--eval-batches", "1", "--checkpoint-every", "2"]
    code, said, err = _cli(["tokenizer", "train", "--input", corpus, "--model-type", "char", "--out",
                            str(tmp_path / "tok")], capsys)
    assert code == 0, err
    chars = len(set(files.joinpath("corpus.txt").read_text()) - {"\n"})  # the newline is a piece of its own
    assert "9 special" in said and "the newline, 256 bytes" in said and f"{chars} more characters of the text" in said
    code, _, err = _cli(["pretrain", *common, "--tokenizer", str(tmp_path / "tok"), "--out", str(tmp_path / "two")],
                        capsys)
    assert code == 0, err
    code, said, err = _cli(["pretrain", *common, "--tokenizer-type", "char", "--out", str(tmp_path / "one")], capsys)
    assert code == 0, err
    assert f"trained a char tokenizer on {corpus}:" in said and f"{chars} more characters of the text" in said

    one, two = minisora.load(tmp_path / "one"), minisora.load(tmp_path / "two")
    assert one.tokenizer.model_type == "char"
    assert [one.tokenizer.id_to_piece(i) for i in range(one.tokenizer.vocab_size)] == [
        two.tokenizer.id_to_piece(i) for i in range(two.tokenizer.vocab_size)]
    assert one.config == two.config and one.config.max_len == 40 != MICRO["max_len"]
    assert one.model.pos_embed.embedding.shape == (40, MICRO["d_model"])  # the position table P
    a, b = (jax.tree.leaves(nnx.state(r.model, nnx.Param)) for r in (one, two))
    assert len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))

    evals = [json.loads(line) for line in (tmp_path / "one" / "metrics.jsonl").read_text().splitlines()]
    evals = [m for m in evals if "val_loss" in m]
    assert [m["step"] for m in evals] == [1, 2]
    for m in evals:
        assert f"step {m['step']}: held-out loss {m['val_loss']:.3f} nats/token" in said
