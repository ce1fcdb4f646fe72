"""Two processes on localhost train together with jax.distributed and match one process.

Both run tests/parallel/_distributed_worker.py (2 CPU devices each, collectives over gloo) on a
data=2,fsdp=2 mesh that spans the two processes; this pytest process trains the same run on
its one device. The losses, the held-out loss and the final parameters (restored from the
checkpoint the two processes wrote together) must agree, and only process 0 may have written
the metrics.
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest

from minisora.training import checkpoint
from minisora.training.loop import train
from minisora.training.step import split_model

HERE = Path(__file__).resolve().parent  # tests/parallel
ROOT = HERE.parents[1]  # the repository
WORKER = HERE / "_distributed_worker.py"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def _metrics(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]


@pytest.mark.slow  # ~30 s on 2 cores: three processes start JAX and compile
def test_two_processes_train_like_one(tmp_path):
    port, run_dir = _free_port(), tmp_path / "two"
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    procs = [subprocess.Popen([sys.executable, str(WORKER), str(i), "2", str(port), str(run_dir)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    try:
        outputs = [p.communicate(timeout=240) for p in procs]
    finally:
        for p in procs:  # never leave a worker waiting for its peer
            if p.poll() is None:
                p.kill()
    for i, (p, (out, err)) in enumerate(zip(procs, outputs)):
        assert p.returncode == 0 and f"process {i} done" in out, err[-4000:]

    from _distributed_worker import setup

    model, batches, cfg = setup()
    train(model, batches, cfg, tmp_path / "one", quiet=True)

    two, one = _metrics(run_dir), _metrics(tmp_path / "one")
    assert [m["step"] for m in two] == [m["step"] for m in one]  # one writer: no line twice
    for a, b in zip(two, one):
        for k in ("loss", "val_loss"):
            if k in b:
                np.testing.assert_allclose(a[k], b[k], rtol=1e-5, err_msg=f"step {b['step']} {k}")

    _, like, _ = split_model(model)
    mgr = checkpoint.manager(run_dir, create=False)
    step, params, _, _ = checkpoint.restore(mgr, like)
    mgr.close()
    assert step == cfg.steps
    for x, y in zip(jax.tree.leaves(params), jax.tree.leaves(like)):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), atol=1e-5)
