"""Runs written before the naming change still load, and decode exactly as they did.

tests/fixtures/runs_v0/{gpt,sora} were pre-trained by the code of before the one naming scheme
(parameters ``wte``, ``W_h``, ``b_v``, …; config.json with "model" for the family), and
expected.json holds what that code computed from them (make_fixture.py): greedy and seed-3
sampled ids for the prompt "the cat", and the teacher-forced logits of "the dog sat on".

Every test works on a COPY of a fixture run in tmp_path: loading may set a bad checkpoint aside
(renaming its directory), and the fixture must never change.
"""

import hashlib
import json
import shutil
from pathlib import Path

import jax
import numpy as np
import orbax.checkpoint as ocp
import pytest
from flax import nnx

import minisora
from minisora.config import ModelConfig
from minisora.inference.decode import generate
from minisora.nn import create
from minisora.tokenizer import Tokenizer
from minisora.training import rundir

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "runs_v0"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())
FAMILIES = ("gpt", "sora")
STEP = 60  # the fixtures' one checkpoint

# The names of before, written out from the rename table (docs: old -> new), not taken from the library.
RENAMED = {
    "wte": "tok_embed", "wpe": "pos_embed", "ln_1": "ln1", "ln_2": "ln2", "fc": "fc1", "proj": "fc2",  # ChatGPT
    "embed_ln": "ln_embed",  # Encoder (and mlm/bias -> mlm/vocab_bias, below)
    "W_h": "init_h", "W_c": "init_c", "W_a": "key", "W_o": "out", "b_v": "vocab_bias", "ln_e": "ln_in",  # Sora
    "W": "x_gates", "U": "h_gates",  # LSTMCell
}


def _keys(path) -> tuple[str, ...]:
    """A jax key path as plain strings: ('blocks', '0', 'attn', 'qkv', 'kernel')."""
    return tuple(str(getattr(k, "key", getattr(k, "name", getattr(k, "idx", k)))) for k in path)


def _paths(tree) -> set[tuple[str, ...]]:
    return {_keys(p) for p, _ in jax.tree_util.tree_flatten_with_path(tree)[0]}


def _old_names_in(paths) -> set[tuple[str, ...]]:
    """The paths that use a name of before anywhere (``mlm/bias`` included)."""
    return {p for p in paths
            if any(k in RENAMED for k in p) or any(p[i:i + 2] == ("mlm", "bias") for i in range(len(p)))}


def _renamed(keys: tuple[str, ...]) -> tuple[str, ...]:
    """An old parameter path in the new scheme (``mlm/bias`` -> ``mlm/vocab_bias``; a lone ``bias`` stays)."""
    keys = list(keys)
    for i in range(len(keys) - 1):
        if keys[i : i + 2] == ["mlm", "bias"]:
            keys[i + 1] = "vocab_bias"
    return tuple(RENAMED.get(k, k) for k in keys)


def _flat(tree) -> dict[tuple[str, ...], np.ndarray]:
    return {_keys(p): np.asarray(x) for p, x in jax.tree_util.tree_flatten_with_path(tree)[0]}


def _digest(folder: Path) -> dict[str, str]:
    return {str(f.relative_to(folder)): hashlib.sha256(f.read_bytes()).hexdigest()
            for f in sorted(folder.rglob("*")) if f.is_file()}


def _copy(family: str, to: Path) -> Path:
    run_dir = to / family
    shutil.copytree(FIXTURES / family, run_dir)
    return run_dir


@pytest.fixture(scope="module", params=FAMILIES)
def old_run(request, tmp_path_factory):
    """(family, run directory of the copy, the loaded Run), once per family."""
    family = request.param
    before = _digest(FIXTURES / family)
    run_dir = _copy(family, tmp_path_factory.mktemp(f"old_{family}"))
    run = minisora.load(run_dir)
    assert _digest(FIXTURES / family) == before  # the fixture itself is never touched
    return family, run_dir, run


def _prompt(run, family):
    return [run.tokenizer.encode(EXPECTED[family]["prompt"])]


def test_old_run_loads_its_checkpoint_and_config(old_run):
    family, run_dir, run = old_run
    assert run.step == STEP and run.config.family == family  # config.json still says "model": family
    assert json.loads((run_dir / "config.json").read_text())["model"]["model"] == family  # an old config indeed
    # the old checkpoint was read, not set aside as unreadable
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == [str(STEP)]


def test_old_run_greedy_ids_are_the_old_codes(old_run):
    family, _, run = old_run
    graphdef, params = nnx.split(run.model)
    e = EXPECTED[family]
    ids = generate(graphdef, params, _prompt(run, family), run.config, max_new_tokens=e["max_new_tokens"],
                   temperature=0.0)[0]
    assert ids == e["ids"]


def test_old_run_sampled_ids_are_the_old_codes(old_run):
    family, _, run = old_run
    graphdef, params = nnx.split(run.model)
    e = EXPECTED[family]
    ids = generate(graphdef, params, _prompt(run, family), run.config, max_new_tokens=e["max_new_tokens"],
                   temperature=1.0, seed=3)[0]
    assert ids == e["sampled_ids"]


def test_old_run_logits_are_the_old_codes(old_run):
    family, _, run = old_run
    e = EXPECTED[family]
    logits = np.asarray(run.logits(e["logits_ids"])[0])  # (T, V)
    expected = np.array(e["logits"])
    assert logits.shape == expected.shape == (len(e["logits_ids"]), run.config.vocab_size)
    np.testing.assert_allclose(logits, expected, atol=1e-4, rtol=0)


def test_loaded_parameters_use_only_the_new_names(old_run):
    family, _, run = old_run
    loaded = _paths(nnx.state(run.model, nnx.Param))
    assert _old_names_in(loaded) == set()
    fresh = _paths(nnx.state(nnx.eval_shape(lambda: create(run.config)), nnx.Param))
    assert loaded == fresh  # exactly the tree a model of today has


def _raw_params(run_dir: Path):
    """The checkpoint's parameter tree as orbax stored it, restored without any target."""
    return ocp.StandardCheckpointer().restore((run_dir / "checkpoints" / str(STEP) / "params").absolute())


def test_the_raw_checkpoint_has_the_old_names_so_the_mapping_is_needed(old_run, tmp_path):
    family, _, run = old_run
    raw = _flat(_raw_params(_copy(family, tmp_path)))
    old = _old_names_in(raw)
    assert old, "the fixture was expected to store its parameters under the old names"
    expected_old = {"gpt": {"wte", "wpe", "ln_1", "ln_2", "fc", "proj"},
                    "sora": {"W_h", "W_c", "W_a", "W_o", "b_v", "ln_e", "W", "U", "embed_ln"}}[family]
    assert expected_old <= {k for p in raw for k in p}
    if family == "sora":
        assert ("encoder", "mlm", "bias") in {p[:3] for p in raw}
    # renamed by the table above, the raw tree is exactly the loaded parameters, value for value
    loaded = _flat(nnx.state(run.model, nnx.Param))
    renamed = {_renamed(p): x for p, x in raw.items()}
    assert len(renamed) == len(raw) and set(renamed) == set(loaded)
    for p, x in renamed.items():
        np.testing.assert_array_equal(loaded[p], x, err_msg=str(p))


def test_restoring_an_old_checkpoint_into_the_new_tree_without_the_mapping_fails(old_run, tmp_path):
    family, _, run = old_run
    run_dir = _copy(family, tmp_path)
    target = jax.tree.map(ocp.utils.to_shape_dtype_struct, nnx.state(run.model, nnx.Param))
    with pytest.raises(ValueError) as err:  # orbax: the trees do not match
        ocp.StandardCheckpointer().restore((run_dir / "checkpoints" / str(STEP) / "params").absolute(), target)
    assert {"gpt": "wte", "sora": "W_h"}[family] in str(err.value)  # it is the names that differ


@pytest.mark.parametrize("family", FAMILIES)
def test_a_run_written_by_the_new_code_loads(tmp_path, family):
    config = ModelConfig(family=family, vocab_size=280, d_model=16, n_heads=2, n_layers=1, d_ff=32, max_len=32,
                         d_lstm=16)
    model = create(config, seed=7)
    tok = Tokenizer.load(FIXTURES / family / "tokenizer")
    rundir.write_run(tmp_path / "new", model, config, {"made_by": "test"}, tokenizer=tok)
    saved = json.loads((tmp_path / "new" / "config.json").read_text())
    assert saved["model"]["family"] == family and "model" not in saved["model"]

    run = minisora.load(tmp_path / "new")
    assert run.step == 0 and run.config == config
    written, loaded = _flat(nnx.state(model, nnx.Param)), _flat(nnx.state(run.model, nnx.Param))
    assert set(loaded) == set(written) and _old_names_in(loaded) == set()
    for p, x in written.items():
        np.testing.assert_array_equal(loaded[p], x, err_msg=str(p))
    ids = tok.encode("the dog sat on")
    np.testing.assert_array_equal(run.logits(ids), minisora.Run(tmp_path, config, None, tok, model, 0).logits(ids))
