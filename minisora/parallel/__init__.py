r"""Scale out: the same train step on many devices and many hosts (SPMD with ``jax.sharding``).

A *mesh* arranges the N devices in a grid with named axes; we always use three,

    N = |data| · |fsdp| · |model|          e.g. ``--mesh data=4,fsdp=2``  (absent axes have size 1)

and every array of the train step gets a ``PartitionSpec`` naming, for each of its dimensions,
the mesh axes it is split over (``None`` = every device holds all of it). We write down only the
shardings of the step's inputs and outputs; XLA's SPMD partitioner (Shardy, in JAX 0.10) derives
the rest and inserts the communication itself — there is no hand-written all-reduce anywhere:

    data parallel (DP)     batch rows split over ``data``, parameters replicated.  Each device
                           computes ∇L on its rows; the mean over the global batch,
                           ∇L = (1/B) Σ_b ∇ℓ_b,  becomes an all-reduce of the gradients.
    fully sharded (FSDP)   batch rows split over ``fsdp`` too, and every matrix split over
                           ``fsdp`` (ZeRO-3): weights are all-gathered just before use,
                           gradients reduce-scattered, and each device stores 1/|fsdp| of
                           θ, m and v.
    tensor parallel (TP)   matrices split over ``model`` as Megatron-LM does: W_qkv, W_fc column-
                           wise (output features), W_o, W_proj row-wise (input features); the
                           partial sums of a row-parallel matmul are all-reduced over ``model``.

The loss is a mean over the *global* batch, so a sharded step computes the same numbers as the
one-device step (up to the order of floating-point sums): tests/test_parallel.py checks it.

Multi-host: every host runs this same program (``--distributed`` → ``jax.distributed.initialize``);
``jax.devices()`` then lists the devices of all hosts, the mesh spans them, and each host feeds only
the batch rows its own devices hold (``jax.make_array_from_process_local_data``).

    mesh.py       the (data, fsdp, model) mesh, the batch's split, CPU devices
    sharding.py   the sharding rules, placing the train state, the batch and decoding
    hosts.py      several hosts: joining, barriers, which process writes
"""

from __future__ import annotations

from .hosts import barrier, initialize_distributed, is_main_process
from .mesh import AXES, batch_spec, make_mesh, mesh_str, parse_mesh, set_cpu_devices
from .sharding import (
    RULES, TrainShardings, check_batch_size, place_batch, place_for_decoding, rule_for, sharding_table, shardings,
    slot_shardings, spec_for, train_shardings,
)

__all__ = [
    "AXES", "RULES", "TrainShardings", "barrier", "batch_spec", "check_batch_size", "initialize_distributed",
    "is_main_process", "make_mesh", "mesh_str", "parse_mesh", "place_batch", "place_for_decoding", "rule_for",
    "set_cpu_devices", "sharding_table", "shardings", "slot_shardings", "spec_for", "train_shardings",
]
