"""Several hosts: every host runs the same program, joined by ``jax.distributed``."""

from __future__ import annotations

import os

import jax

from ..errors import UserError



def initialize_distributed(coordinator: str | None = None, num_processes: int | None = None,
                           process_id: int | None = None) -> None:
    """Join the other processes of this run: ``jax.distributed.initialize``. Call it before anything
    else touches JAX. Each argument comes from its flag, else the environment (JAX_COORDINATOR_ADDRESS,
    JAX_NUM_PROCESSES, JAX_PROCESS_ID); on a TPU pod, Slurm or Open MPI JAX finds all three itself."""
    # CPU devices of different processes talk through gloo (TCP); harmless on TPU/GPU hosts.
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    env = lambda name: int(os.environ[name]) if os.environ.get(name) else None  # noqa: E731
    num_processes = num_processes if num_processes is not None else env("JAX_NUM_PROCESSES")
    process_id = process_id if process_id is not None else env("JAX_PROCESS_ID")
    try:
        jax.distributed.initialize(coordinator, num_processes, process_id)
    except (RuntimeError, ValueError) as err:
        raise UserError(f"Could not join the distributed run ({err}).") from None


def barrier(name: str) -> None:
    """Wait until every process gets here (e.g. process 0 has written a file the others read)."""
    if jax.process_count() > 1:
        from jax.experimental import multihost_utils

        multihost_utils.sync_global_devices(name)


def is_main_process() -> bool:
    """Process 0 writes logs, plots and the run's config; every process writes its checkpoint shards."""
    return jax.process_index() == 0
