"""``--profile DIR``: a ``jax.profiler`` trace of a few train steps.

Open it in TensorBoard's profile plugin (``tensorboard --logdir DIR``) or in Perfetto
(``DIR/plugins/profile/*/*.trace.json.gz`` at ui.perfetto.dev).
"""

from __future__ import annotations

import os

import jax

from ..parallel import is_main_process


class StepProfiler:
    """Traces steps ``first_step + 1 .. first_step + n_steps`` (the first is mostly compilation);
    with no directory every call does nothing.

    Call ``step(t, outputs)`` at the top of each iteration with the previous step's outputs, and
    ``close()`` when the loop ends."""

    def __init__(self, log_dir=None, first_step: int = 0, n_steps: int = 3):
        self.log_dir, self.start, self.stop = log_dir, first_step + 1, first_step + 1 + n_steps
        self.running = False

    def step(self, t: int, outputs=None) -> None:
        if self.log_dir is None:
            return
        if t == self.start and not self.running:
            jax.block_until_ready(outputs)  # the trace shows whole steps, not the tail of the one before
            os.makedirs(self.log_dir, exist_ok=True)
            jax.profiler.start_trace(str(self.log_dir))
            self.running = True
        elif t == self.stop:
            self.close(outputs)

    def close(self, outputs=None) -> None:
        if self.running:
            jax.block_until_ready(outputs)
            jax.profiler.stop_trace()
            self.running = False
            if is_main_process():
                print(f"profile of steps {self.start}..{self.stop - 1} -> {self.log_dir} (tensorboard --logdir {self.log_dir})")
