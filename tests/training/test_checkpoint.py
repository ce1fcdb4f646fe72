"""Checkpoints: exact round trip, keep-last-N, and recovery from half-written or garbage ones."""

import json
import signal
import subprocess
import sys
import textwrap
import time

import jax.numpy as jnp
import numpy as np
import optax
import pytest

from minisora.errors import UserError
from minisora.training import batches as data
from minisora.training import checkpoint


def _state(seed=0):
    rng = np.random.default_rng(seed)
    params = {"w": jnp.asarray(rng.normal(size=(3, 4)), jnp.float32), "b": jnp.asarray(rng.normal(size=4), jnp.float32)}
    tx = optax.adamw(1e-3)
    opt_state = tx.init(params)
    _, opt_state = tx.update(params, opt_state, params)  # non-trivial moments and count
    return params, opt_state


def _equal(a, b):
    import jax

    la, lb = jax.tree.leaves(a), jax.tree.leaves(b)
    return len(la) == len(lb) and all(np.array_equal(np.asarray(x), np.asarray(y)) for x, y in zip(la, lb))


def test_round_trip_is_exact_and_keeps_last_n(tmp_path):
    rng = data.make_rng(3)
    rng.random(5)
    mgr = checkpoint.manager(tmp_path, keep=2)
    for step in (1, 2, 3):
        params, opt_state = _state(step)
        checkpoint.save(mgr, step, params, opt_state, json.loads(json.dumps(data.rng_state(rng))))
    assert sorted(mgr.all_steps()) == [2, 3]  # keep the newest two
    like_p, like_o = _state(99)
    step, params, opt_state, data_state = checkpoint.restore(mgr, like_p, like_o)
    mgr.close()
    assert step == 3
    assert _equal((params, opt_state), _state(3))
    other = data.make_rng(0)
    data.set_rng_state(other, data_state)
    np.testing.assert_array_equal(other.random(4), rng.random(4))


def _two_good_checkpoints(run_dir):
    mgr = checkpoint.manager(run_dir, keep=5)
    for step in (10, 20):
        checkpoint.save(mgr, step, *_state(step), {"n": step})
    mgr.close()
    return run_dir / "checkpoints"


def test_garbage_newest_checkpoint_falls_back_to_previous(tmp_path, capsys):
    ckpt = _two_good_checkpoints(tmp_path)
    (ckpt / "30" / "params").mkdir(parents=True)  # a step directory cut off mid-write
    (ckpt / "30" / "params" / "junk").write_bytes(b"\x00garbage")
    (ckpt / "40.orbax-checkpoint-tmp-1234").mkdir()  # orbax's temporary directory, never renamed
    mgr = checkpoint.manager(tmp_path, keep=5)
    step, params, opt_state, meta = checkpoint.restore(mgr, *_state(0))
    assert step == 20 and meta == {"n": 20} and _equal((params, opt_state), _state(20))
    assert "checkpoint 30 is unreadable" in capsys.readouterr().out
    assert (ckpt / "30.corrupt").exists() and not (ckpt / "30").exists()  # set aside, not deleted
    checkpoint.save(mgr, 30, *_state(30), {"n": 30})  # the step can be written again
    mgr.close()


def test_no_good_checkpoint_is_a_user_error(tmp_path):
    ckpt = tmp_path / "checkpoints"
    (ckpt / "5").mkdir(parents=True)
    (ckpt / "5" / "junk").write_text("x")
    with pytest.raises(UserError, match="corrupt"):
        checkpoint.restore(checkpoint.manager(tmp_path), *_state(0))
    with pytest.raises(UserError, match="no checkpoints"):
        checkpoint.restore_params(tmp_path / "elsewhere", _state(0)[0])
    with pytest.raises(UserError, match="no complete checkpoint"):
        checkpoint.restore(checkpoint.manager(tmp_path / "empty"), *_state(0))


def test_a_checkpoint_of_another_model_is_refused_and_left_alone(tmp_path, capsys):
    ckpt = _two_good_checkpoints(tmp_path)
    params, opt_state = _state(0)
    cases = {  # what the message says -> the model's parameters
        "1 missing, e.g. extra": {**params, "extra": jnp.zeros(2)},  # the model has a part the checkpoint lacks
        "1 the model lacks, e.g. b": {"w": params["w"]},
        "1 of another shape, e.g. w (3, 4) instead of (4, 3)": {**params, "w": jnp.zeros((4, 3))},
    }
    for words, like in cases.items():
        mgr = checkpoint.manager(tmp_path, keep=5)
        with pytest.raises(UserError, match="do not fit the model") as err:
            checkpoint.restore(mgr, like)
        mgr.close()
        assert words in str(err.value) and "Nothing was changed" in str(err.value)
        assert sorted(p.name for p in ckpt.iterdir()) == ["10", "20"]  # nothing set aside as corrupt
    assert "unreadable" not in capsys.readouterr().out
    mgr = checkpoint.manager(tmp_path, keep=5)
    step, restored, _, _ = checkpoint.restore(mgr, params, opt_state)  # the right model still loads it
    mgr.close()
    assert step == 20 and _equal(restored, _state(20)[0])


WRITER = textwrap.dedent("""
    import sys, jax.numpy as jnp
    from minisora.training import checkpoint
    mgr = checkpoint.manager(sys.argv[1], keep=100)
    step = 0
    while True:  # write 16 MB checkpoints until killed
        step += 1
        checkpoint.save(mgr, step, {"x": jnp.full((4, 1024, 1024), float(step))}, None, {"step": step})
        print(step, flush=True)
""")


def test_kill_9_mid_write_leaves_a_resumable_run(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "1"  # one complete checkpoint exists
        time.sleep(0.3)  # somewhere inside a later write
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    mgr = checkpoint.manager(tmp_path, keep=100)
    step, params, _, meta = checkpoint.restore(mgr, {"x": jnp.zeros((4, 1024, 1024))})
    mgr.close()
    assert step >= 1 and meta == {"step": step}
    assert float(params["x"].min()) == float(params["x"].max()) == float(step)  # complete, not torn
