"""minisora/parallel/: meshes, sharding rules, and the sharded train step on 8 fake CPU devices.

The sharded step must compute what the one-device step computes: the loss is a mean over the
global batch whichever device holds which rows, so losses and updated parameters agree up to
the order of floating-point sums. The 8 devices exist only in a subprocess
(tests/parallel/_parallel_worker.py): JAX fixes the CPU device count when it starts.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest
from jax.sharding import AbstractMesh, AxisType
from jax.sharding import PartitionSpec as P

from minisora import parallel
from minisora.config import config_from_preset
from minisora.errors import UserError
from minisora.nn import create
from minisora.parallel.sharding import _path_str
from minisora.training import checkpoint
from minisora.training.checkpoint import OLD_NAMES
from minisora.training.step import split_model

HERE = Path(__file__).resolve().parent  # tests/parallel
ROOT = HERE.parents[1]  # the repository
WORKER = HERE / "_parallel_worker.py"


def abstract_mesh(data=1, fsdp=1, model=1):
    return AbstractMesh((data, fsdp, model), parallel.AXES, axis_types=(AxisType.Auto,) * 3)


# --- the mesh spec ------------------------------------------------------------------------------


@pytest.mark.parametrize("spec, n, want", [
    ("data=8", 8, (8, 1, 1)),
    ("data=4,fsdp=2", 8, (4, 2, 1)),
    ("fsdp=-1", 8, (1, 8, 1)),
    ("data=-1,model=2", 8, (4, 1, 2)),
    (" data = 2 , fsdp=2,model=2 ", 8, (2, 2, 2)),
])
def test_parse_mesh(spec, n, want):
    sizes = parallel.parse_mesh(spec, n)
    assert tuple(sizes[a] for a in parallel.AXES) == want
    assert np.prod(want) == n


@pytest.mark.parametrize("spec", ["data=3", "batch=8", "data=4,fsdp=-1,model=-1", "data=0", "data=x", "fsdp=3,data=-1"])
def test_bad_mesh_is_a_user_error(spec):
    with pytest.raises(UserError):
        parallel.parse_mesh(spec, 8)


def test_one_device_mesh_is_auto():
    mesh = parallel.make_mesh("data=1")
    assert mesh.shape == {"data": 1, "fsdp": 1, "model": 1}
    assert all(t == AxisType.Auto for t in mesh.axis_types)


# --- the rules ------------------------------------------------------------------------------------


def _specs(family: str, scan: bool, mesh) -> dict:
    config = config_from_preset(family, "tiny", vocab_size=128, scan_layers=scan)
    _, params, _ = split_model(create(config))
    return {_path_str(p): (x.shape, parallel.spec_for(_path_str(p), x.shape, mesh))  # raises if no rule
            for p, x in jax.tree_util.tree_flatten_with_path(params)[0]}


@pytest.mark.parametrize("family", ["gpt", "sora"])
def test_every_parameter_has_a_rule(family):
    """A parameter without a rule fails loudly instead of ending up replicated by accident; FSDP
    leaves no matrix whole; a stacked (scan_layers) model is sharded like one of its blocks, with
    the layer axis whole. The paths are the one naming scheme's (none from before the renaming)."""
    mesh = abstract_mesh(2, 2, 2)
    specs = _specs(family, False, mesh)
    assert not {part for name in specs for part in name.split("/")} & set(OLD_NAMES)
    for name, (shape, spec) in specs.items():
        assert len(spec) == len(shape)
        if len(shape) == 2 and not name.endswith("seg_embed/embedding"):  # (2, C): too few rows to split
            assert "fsdp" in tuple(spec), f"{name} {spec} is not split over fsdp"
    for name, (shape, spec) in _specs(family, True, mesh).items():
        unstacked = re.sub(r"(^|/)blocks/", r"\1blocks/0/", name)
        if unstacked != name:
            assert shape[1:] == specs[unstacked][0] and spec == P(None, *specs[unstacked][1]), name
        else:
            assert specs[name] == (shape, spec), name


def test_megatron_layout_of_a_gpt_block():
    """Column-parallel in, row-parallel out: W_qkv and W_fc1 split their outputs over model, W_o and
    W_fc2 their inputs, so one block needs one all-reduce per matmul pair (Megatron-LM, §3)."""
    mesh = abstract_mesh(model=2, fsdp=2)
    C, F = 96, 384
    assert parallel.spec_for("blocks/0/attn/qkv/kernel", (C, 3 * C), mesh) == P("fsdp", "model")
    assert parallel.spec_for("blocks/0/fc1/kernel", (C, F), mesh) == P("fsdp", "model")
    assert parallel.spec_for("blocks/0/attn/out/kernel", (C, C), mesh) == P("model", "fsdp")
    assert parallel.spec_for("blocks/0/fc2/kernel", (F, C), mesh) == P("model", "fsdp")
    assert parallel.spec_for("blocks/0/fc1/bias", (F,), mesh) == P("model")
    assert parallel.spec_for("blocks/0/fc2/bias", (C,), mesh) == P(None)
    assert parallel.spec_for("0/mu/blocks/0/fc1/kernel", (C, F), mesh) == P("fsdp", "model")  # Adam's m follows θ
    assert parallel.spec_for("0/count", (), mesh) == P()


def test_soras_own_layers_keep_their_layout_under_the_new_names():
    """Sora's parameters outside the encoder blocks, under the one naming scheme, get the layout
    their old names had: the start state's and attention key's matrices (old W_h, W_c, W_a) and
    the LSTM gates (W, U) column-parallel, the output projection (W_o) row-parallel, both vocabulary
    biases (b_v, mlm/bias) split like the token table's rows, the LayerNorms (embed_ln, ln_e) whole."""
    specs = _specs("sora", False, abstract_mesh(fsdp=2, model=2))
    want = {
        "init_h/kernel": P("fsdp", "model"), "init_h/bias": P("model"),
        "init_c/kernel": P("fsdp", "model"), "init_c/bias": P("model"),
        "key/kernel": P("fsdp", "model"),
        "cell/lstm/x_gates/kernel": P("fsdp", "model"), "cell/lstm/h_gates/kernel": P("fsdp", "model"),
        "cell/lstm/h_gates/bias": P("model"),
        "cell/out/kernel": P("model", "fsdp"), "cell/out/bias": P(None),
        "vocab_bias": P("model"), "encoder/mlm/vocab_bias": P("model"),
        "encoder/tok_embed/embedding": P("model", "fsdp"), "encoder/pos_embed/embedding": P(None, "fsdp"),
        "encoder/ln_embed/scale": P(None), "ln_in/scale": P(None), "ln_f/scale": P(None),
    }
    assert {name: specs[name][1] for name in want} == want
    with pytest.raises(ValueError, match="no sharding rule"):  # an old name is no longer a parameter's
        parallel.spec_for("blocks/0/proj/kernel", (384, 96), abstract_mesh(fsdp=2, model=2))


def test_an_axis_that_does_not_divide_leaves_the_dimension_whole():
    """GPT-2's 50257-token vocabulary cannot be split in two: that dimension stays whole."""
    mesh = abstract_mesh(fsdp=2, model=2)
    assert parallel.spec_for("tok_embed/embedding", (50257, 768), mesh) == P(None, "fsdp")
    assert parallel.spec_for("tok_embed/embedding", (50258, 768), mesh) == P("model", "fsdp")


def test_table_names_every_parameter_once():
    config = config_from_preset("gpt", "tiny", vocab_size=128)
    _, params, _ = split_model(create(config))
    table = parallel.sharding_table(params, parallel.make_mesh("data=1"))
    assert "blocks/*/attn/qkv/kernel" in table and "tok_embed/embedding" in table and "blocks/*/fc1/kernel" in table
    assert "blocks/1/" not in table  # blocks folded
    assert len(table.splitlines()) == 2 + 4 + 12  # mesh line, header; tok_embed, pos_embed, ln_f ×2; 12 per block


def test_batch_rows_split_over_data_and_fsdp():
    assert parallel.batch_spec(abstract_mesh(data=4, fsdp=2)) == P(("data", "fsdp"))
    assert parallel.batch_spec(abstract_mesh(data=2, fsdp=2, model=2)) == P(("fsdp", "data"))  # the bug's detour


def test_batch_size_must_split_over_the_mesh():
    parallel.check_batch_size(6, abstract_mesh(data=2))
    with pytest.raises(UserError):
        parallel.check_batch_size(3, abstract_mesh(data=2))


def test_cpu_devices_flag_needs_a_fresh_process():
    jax.devices()  # this process's JAX has started (with one CPU device)
    parallel.set_cpu_devices(None)
    parallel.set_cpu_devices(len(jax.devices("cpu")))  # what it already has: fine
    with pytest.raises(UserError, match="fresh process"):
        parallel.set_cpu_devices(len(jax.devices("cpu")) + 1)
    with pytest.raises(UserError, match="at least 1"):
        parallel.set_cpu_devices(0)


# --- 8 fake devices ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def eight_devices(once):
    """Runs tests/parallel/_parallel_worker.py once per session with 8 CPU devices (whichever xdist
    worker asks first; the other reads its report); its JSON report + output dir."""
    def build(out):
        env = dict(os.environ, JAX_PLATFORMS="cpu")
        r = subprocess.run([sys.executable, str(WORKER), str(out)],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr[-4000:]
        (out / "report.json").write_text(r.stdout.strip().splitlines()[-1])

    out = once("parallel", build)
    return json.loads((out / "report.json").read_text()), out


@pytest.mark.slow  # one subprocess for all four: ~1 min of compiling on 2 cores
def test_sharded_steps_equal_the_one_device_step(eight_devices):
    report, _ = eight_devices
    runs = {k: v for k, v in report.items() if not k.startswith(("restore", "decode", "engine"))}
    assert {k.split()[1] for k in runs} >= {"data=8", "fsdp=8", "data=2,fsdp=4"}
    for name, r in runs.items():
        np.testing.assert_allclose(r["losses"], r["ref_losses"], rtol=1e-5, err_msg=name)
        assert r["param_diff"] < 1e-5, (name, r["param_diff"])


@pytest.mark.slow
def test_devices_split_the_work_instead_of_repeating_it(eight_devices):
    """XLA's FLOP count of one device's program × the devices ≈ the one-device step's count: the
    partitioned step does not redo work on every device. The three-axis mesh uses the batch order
    that dodges a compiler bug and pays ~1.7× (parallel.batch_spec). fsdp=8 is left out: for a
    width-32 model with one 16-token row per device the compiler prefers moving activations to
    gathering weights and pays ~2.3× here, while on the baby GPT
    (`minisora bench train --mesh fsdp=8 --batch-size 16`) it is 1.0×."""
    report, _ = eight_devices
    assert report["gpt data=8"]["flops_ratio"] < 1.3
    assert report["gpt data=2,fsdp=4"]["flops_ratio"] < 1.3
    assert report["sora data=2,fsdp=2,model=2"]["flops_ratio"] < 2.0


@pytest.mark.slow
def test_decoding_on_a_mesh_equals_one_device(eight_devices):
    """Rows split over the mesh decode to the same tokens (greedy and sampled) as on one device,
    and each device keeps only its rows of the cache / LSTM state."""
    report, _ = eight_devices
    for name in ("decode gpt data=8", "decode sora data=4,model=2"):
        r = report[name]
        for how in ("greedy", "sampled"):
            one, mesh = r[how]
            assert one == mesh, (name, how)
        assert r["state_rows_split"], name


@pytest.mark.slow
def test_a_servers_slots_split_over_devices_give_the_same_tokens(eight_devices):
    """inference/engine.py with ``mesh``: 8 slots over 8 devices, 10 mixed requests (greedy and
    sampled), the same tokens as on one device; each device holds only its slots."""
    report, _ = eight_devices
    for name in ("engine gpt data=8", "engine sora data=8"):
        r = report[name]
        assert all(len(x) >= 7 for x in r["one"]), name
        assert r["mesh"] == r["one"], name
        assert r["slots_split"], name


@pytest.mark.slow  # one subprocess for all four: ~1 min of compiling on 2 cores
def test_every_array_has_the_sharding_of_its_rule(eight_devices):
    report, _ = eight_devices
    for name, r in report.items():
        if name.startswith(("decode", "engine")):
            continue
        assert r["wrong"] == [], name
    assert report["gpt fsdp=8"]["matrices_split"], "FSDP left a matrix or Adam's moments whole on a device"


@pytest.mark.slow  # one subprocess for all four: ~1 min of compiling on 2 cores
def test_checkpoint_from_8_devices_restores_onto_another_mesh(eight_devices):
    r = eight_devices[0]["restore data=4,model=2"]
    assert r["step"] == 2 and r["param_diff"] == 0.0 and r["opt_diff"] == 0.0


@pytest.mark.slow  # one subprocess for all four: ~1 min of compiling on 2 cores
def test_checkpoint_from_8_devices_restores_onto_1_device(eight_devices):
    """This pytest process has one CPU device: restore the worker's FSDP checkpoint here."""
    _, out = eight_devices
    saved = np.load(out / "params.npz")
    from _parallel_worker import config  # the worker's model shape

    _, like, _ = split_model(create(config("gpt"), seed=1))
    mgr = checkpoint.manager(out / "run", create=False)
    step, params, _, meta = checkpoint.restore(mgr, like)
    mgr.close()
    leaves = jax.tree.leaves(params)
    assert step == 2 and len(leaves) == len(saved.files)
    for i, x in enumerate(leaves):
        assert x.sharding.device_set == {jax.devices()[0]}
        np.testing.assert_array_equal(np.asarray(x), saved[f"arr_{i}"])
