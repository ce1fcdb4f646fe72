"""One of the processes of tests/parallel/test_distributed.py: a 2-host run on one machine.

Each process has 2 CPU devices; ``jax.distributed`` joins them into one run of 4 devices (gloo
carries the collectives over TCP), and the real training loop runs on a data=2,fsdp=2 mesh
spanning both processes. Every process writes its shards of the checkpoints; only process 0
writes metrics and the plot.

    python tests/parallel/_distributed_worker.py PROCESS_ID NUM_PROCESSES PORT RUN_DIR
"""

import sys

import jax

from minisora import parallel

SEQ, STEPS = 16, 3


def setup():
    """The run both this worker and the single-process reference train: model, batches, config."""
    import numpy as np

    from minisora.config import ModelConfig, TrainConfig
    from minisora.nn import create
    from minisora.training.batches import Batches, split_held_out

    V = 64
    ids = np.random.default_rng(0).integers(9, V, size=3000).astype(np.int32)
    train_ids, val_ids = split_held_out(ids)
    cfg = TrainConfig(steps=STEPS, batch_size=8, seq_len=SEQ, eval_every=STEPS, eval_batches=2,
                        checkpoint_every=STEPS, log_every=1, warmup=0)
    config = ModelConfig(family="gpt", vocab_size=V, d_model=32, n_heads=4, n_layers=2, d_ff=64, max_len=SEQ,
                         dropout=0.1)
    batches = Batches("gpt", "text", train_ids, val_ids, batch_size=cfg.batch_size, seq_len=SEQ, vocab_size=V)
    return create(config, seed=0), batches, cfg


def main(process_id: int, num_processes: int, port: int, run_dir: str) -> None:
    jax.config.update("jax_num_cpu_devices", 2)
    parallel.initialize_distributed(f"localhost:{port}", num_processes, process_id)
    from minisora.training.loop import train

    assert jax.process_count() == num_processes and jax.device_count() == 2 * num_processes
    model, batches, cfg = setup()
    mesh = parallel.make_mesh("data=2,fsdp=-1")
    train(model, batches, cfg, run_dir, quiet=True, mesh=mesh)
    print(f"process {process_id} done")


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
