"""Runs end to end through the CLI: pretrain -> load -> finetune -> resume; import-hf -> load."""

import json
import sys
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

import minisora
from minisora import cli, config, nn
from minisora.errors import UserError

MICRO = dict(d_model=16, n_heads=2, n_layers=1, d_ff=32, max_len=32, d_lstm=16)
# the fixtures micro (this MICRO as a preset) and files (corpus, dialogues, tokenizer): tests/conftest.py


def _pretrain(files, out, model, *extra):
    argv = ["pretrain", "--model", model, "--corpus", str(files / "corpus.txt"), "--tokenizer", str(files / "tok"),
            "--out", str(out), "--preset", "micro", "--steps", "4", "--batch-size", "2", "--seq-len", "12",
            "--eval-every", "2", "--eval-batches", "1", "--checkpoint-every", "2", "--log-every", "1", *extra]
    assert cli.main(argv) == 0


@pytest.mark.parametrize("model", ["gpt", "sora"])
def test_pretrain_load_finetune(tmp_path, files, micro, model):
    run = tmp_path / "pre"
    _pretrain(files, run, model)
    saved = json.loads((run / "config.json").read_text())
    assert saved["model"]["family"] == model and saved["train"]["steps"] == 4
    lines = [json.loads(ln) for ln in (run / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in lines if "val_loss" in m] == [2, 4]
    assert (run / "loss.png").exists() and (run / "tokenizer").is_dir()

    handle = minisora.load(run)
    assert handle.step == 4 and handle.config.vocab_size == handle.tokenizer.vocab_size
    ids = jnp.asarray([handle.tokenizer.encode("the cat sat")])
    logits = handle.logits(ids)
    assert logits.shape == (1, ids.shape[1], handle.config.vocab_size)
    # the loaded parameters are the trained ones, not a fresh initialisation
    fresh = nn.create(handle.config, seed=0)
    trained = nnx.state(handle.model, nnx.Param)
    assert any(not np.array_equal(a, b) for a, b in zip(
        jax_leaves(trained), jax_leaves(nnx.state(fresh, nnx.Param))))

    tuned = tmp_path / "tuned"
    argv = ["finetune", "--from", str(run), "--dialogues", str(files / "dialogues.jsonl"), "--out", str(tuned),
            "--steps", "2", "--batch-size", "2", "--eval-every", "2", "--eval-batches", "1", "--checkpoint-every", "2"]
    assert cli.main(argv) == 0
    t = json.loads((tuned / "config.json").read_text())
    assert t["train"]["kind"] == "dialogue" and t["data"]["from_step"] == 4
    assert minisora.load(tuned).step == 2


def test_finetune_on_a_mesh_equals_one_device(tmp_path, files, micro, monkeypatch):
    """``finetune --mesh``: the sharded step path (here a one-device mesh: the pytest process has one
    CPU device; tests/parallel/test_parallel.py runs the same step on 8) trains the same parameters."""
    from minisora import parallel

    meshes = []  # the mesh each run's train step was sharded over
    real = parallel.train_shardings
    monkeypatch.setattr(parallel, "train_shardings", lambda mesh, *a, **k: meshes.append(mesh) or real(mesh, *a, **k))
    run = tmp_path / "pre"
    _pretrain(files, run, "gpt")
    common = ["--from", str(run), "--dialogues", str(files / "dialogues.jsonl"), "--steps", "3", "--batch-size", "2",
              "--eval-every", "3", "--eval-batches", "1", "--checkpoint-every", "3"]
    assert cli.main(["finetune", *common, "--out", str(tmp_path / "plain")]) == 0
    assert meshes == []
    assert cli.main(["finetune", *common, "--out", str(tmp_path / "mesh"), "--mesh", "data=1"]) == 0
    assert [parallel.mesh_str(m) for m in meshes] == [parallel.mesh_str(parallel.make_mesh("data=1"))]  # really sharded
    plain, mesh = (nnx.state(minisora.load(tmp_path / d).model, nnx.Param) for d in ("plain", "mesh"))
    for a, b in zip(jax_leaves(plain), jax_leaves(mesh)):
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert cli.main(["finetune", *common, "--out", str(tmp_path / "bad"), "--mesh", "data=2"]) == 2  # 1 device here


def jax_leaves(state):
    import jax

    return [np.asarray(x) for x in jax.tree.leaves(state)]


def test_resume_extends_a_run_and_refuses_a_different_corpus(tmp_path, files, micro, capsys):
    run = tmp_path / "r"
    _pretrain(files, run, "gpt")
    assert cli.main(["pretrain", "--corpus", str(files / "corpus.txt"), "--out", str(run), "--resume",
                     "--steps", "6"]) == 0
    assert minisora.load(run).step == 6
    other = tmp_path / "other.txt"
    other.write_text((files / "corpus.txt").read_text() + "x")
    assert cli.main(["pretrain", "--corpus", str(other), "--out", str(run), "--resume"]) == 2
    assert "not the corpus" in capsys.readouterr().err
    assert cli.main(["pretrain", "--corpus", str(files / "corpus.txt"), "--out", str(run)]) == 2  # no silent overwrite
    assert "already holds a run" in capsys.readouterr().err


def test_load_errors_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="no run directory"):
        minisora.load(tmp_path / "nope")
    with pytest.raises(UserError, match="no config.json"):
        minisora.load(tmp_path)
    (tmp_path / "config.json").write_text('{"model": 3}')
    with pytest.raises(UserError, match="corrupt"):
        minisora.load(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"model": config.ModelConfig(**MICRO, vocab_size=20).to_dict()}))
    with pytest.raises(UserError, match="no checkpoints"):
        minisora.load(tmp_path)


def test_a_run_whose_config_no_longer_fits_its_checkpoint_is_refused_and_kept(tmp_path):
    from minisora.training import rundir

    cfg = config.ModelConfig(**MICRO, vocab_size=20, family="sora")
    run = tmp_path / "run"
    rundir.write_run(run, nn.create(cfg), cfg, {})
    saved = json.loads((run / "config.json").read_text())
    saved["model"]["d_ff"] = 48  # edited by hand, or written by another version of minisora
    (run / "config.json").write_text(json.dumps(saved))
    with pytest.raises(UserError, match=r"3 of another shape, e\.g\. encoder/blocks/0/fc1/bias \(32,\) instead of \(48,\)"):
        minisora.load(run)
    assert [p.name for p in (run / "checkpoints").iterdir()] == ["0"]  # not set aside as corrupt
    saved["model"]["d_ff"] = 32
    (run / "config.json").write_text(json.dumps(saved))
    assert minisora.load(run).step == 0


def _hf_parity_helpers():
    """tests/tools/test_hf.py's vocabulary size and random GPT-2 builder (one reference for both files)."""
    tools = str(Path(__file__).resolve().parents[1] / "tools")
    if tools not in sys.path:
        sys.path.insert(0, tools)
    import test_hf

    return test_hf.V, test_hf._gpt2


def test_import_hf_gpt2_makes_a_loadable_run(tmp_path):
    V, _gpt2 = _hf_parity_helpers()  # the parity tests' small random GPT-2, saved with save_pretrained

    torch, ref = _gpt2(tmp_path / "hf")
    assert cli.main(["import-hf", "--from", str(tmp_path / "hf"), "--out", str(tmp_path / "run")]) == 0
    handle = minisora.load(tmp_path / "run")
    assert handle.step == 0 and handle.tokenizer is None and handle.config.vocab_size == V
    ids = np.random.default_rng(0).integers(0, V, size=(2, 7))
    with torch.no_grad():
        expected = ref(torch.tensor(ids)).logits.numpy()
    np.testing.assert_allclose(handle.logits(ids), expected, atol=1e-4, rtol=0)
