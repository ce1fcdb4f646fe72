"""Chapter 12's exercises: the bytes of one decode slot, and when the engine admits each request.

Both are checked against the package itself: ``nn.empty_slots`` (the state the engine allocates)
and a real ``Engine`` serving the requests with a small random model.
"""

from __future__ import annotations

import functools

from course import NotYet, check


def check_slot_bytes(slot_bytes) -> bool:
    """``slot_bytes(config)`` against the growth of ``nn.empty_slots`` from 1 to 2 to 3 slots."""
    import jax
    from flax import nnx

    from minisora.config import ModelConfig
    from minisora.nn import create, empty_slots

    def state_size(config, slots):
        graphdef, params = nnx.split(nnx.eval_shape(lambda: create(config)))
        state = empty_slots(graphdef, params, slots, config.max_len)
        return sum(x.size * x.dtype.itemsize for x in jax.tree.leaves(state))

    configs = [
        ModelConfig(family="gpt", vocab_size=50, d_model=16, n_heads=2, n_layers=1, d_ff=32, max_len=32),
        ModelConfig(family="gpt", vocab_size=50, d_model=32, n_heads=4, n_layers=3, d_ff=64, max_len=48),
        ModelConfig(
            family="gpt", vocab_size=50, d_model=32, n_heads=4, n_layers=2, d_ff=64, max_len=16, dtype="bfloat16"
        ),
    ]

    def test():
        for config in configs:
            got = slot_bytes(config)
            sizes = [state_size(config, s) for s in (1, 2, 3)]
            want = sizes[1] - sizes[0]
            assert sizes[2] - sizes[1] == want  # every slot costs the same
            if got != want:
                raise NotYet(
                    f"a slot of a ChatGPT with L={config.n_layers}, C={config.d_model}, "
                    f"max_len={config.max_len}, dtype {config.dtype} holds {want:,} bytes; yours says {got}."
                )

    return check("the bytes of one slot", test)


CASES = (  # (answer lengths, slots, chunk)
    ((5, 3, 8, 2, 6), 2, 1),
    ((5, 3, 8, 2, 6), 2, 4),
    ((2, 2, 2, 2, 2), 3, 1),
    ((9, 5, 13, 4), 1, 4),  # one slot: strictly one after another; 9 - 1 and 13 - 1 are whole chunks
    ((3, 1, 1, 4, 2), 2, 2),  # one-token answers
    ((6, 7), 4, 4),  # more slots than requests
)


@functools.cache
def engine_admissions(lengths: tuple, slots: int, chunk: int) -> list[int]:
    """Serve requests of these answer lengths with a real Engine; the step each one's first token came."""
    from flax import nnx

    from minisora.config import ModelConfig
    from minisora.inference.engine import Engine, Request
    from minisora.nn import create

    config = ModelConfig(family="gpt", vocab_size=32, d_model=16, n_heads=2, n_layers=1, d_ff=32, max_len=48)
    graphdef, params = nnx.split(create(config, seed=0))
    engine = Engine(graphdef, params, config, slots=slots, stop_ids=(), chunk=chunk)
    step, admitted = [0], {}

    def emit(k):
        return lambda y, finish: admitted.setdefault(k, step[0]) if y is not None else None

    for k, n in enumerate(lengths):
        engine.submit(Request([9, 10, 11], n, emit(k)))
    while engine.waiting or engine.busy():
        engine.step()
        step[0] += 1
    return [admitted[k] for k in range(len(lengths))]


def check_admission_steps(admission_steps) -> bool:
    """``admission_steps(lengths, slots, chunk)`` against a real ``Engine`` (stop tokens off)."""

    def test():
        for lengths, slots, chunk in CASES:
            got = admission_steps(list(lengths), slots, chunk)
            want = engine_admissions(lengths, slots, chunk)
            if got is None or [int(s) for s in got] != want:
                raise NotYet(
                    f"answers of {list(lengths)} tokens through {slots} slot(s), {chunk} token(s) per step, "
                    f"are admitted at steps {want}; yours says {got}."
                )

    return check("the engine's admissions", test)
