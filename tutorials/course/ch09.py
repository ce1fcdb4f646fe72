"""Chapter 9's exercises: the block one device holds, and the data-parallel gradient.

The shapes are checked against JAX's own ``NamedSharding.shard_shape`` on an abstract mesh (no
devices needed, so the check runs on one CPU too), the gradient against ``jax.grad`` of the
whole batch's loss.
"""

from __future__ import annotations

import numpy as np

from course import NotYet, check


def check_shard_shape(shard_shape) -> bool:
    """``shard_shape(shape, spec, mesh_shape)`` against ``NamedSharding(mesh, P(*spec)).shard_shape``."""
    from jax.sharding import AbstractMesh, AxisType, NamedSharding
    from jax.sharding import PartitionSpec as P

    from minisora.parallel import AXES

    cases = [  # (mesh sizes, shape, spec)
        ((2, 2, 2), (4000, 96), ("model", "fsdp")),  # the token table on data=2,fsdp=2,model=2
        ((2, 2, 2), (96, 288), ("fsdp", "model")),  # W_qkv
        ((2, 2, 2), (96,), ()),  # a LayerNorm scale: replicated, whole everywhere
        ((2, 2, 2), (96,), (None,)),
        ((1, 8, 1), (768, 3072), ("fsdp", None)),
        ((4, 2, 1), (16, 32), (("data", "fsdp"),)),  # a batch: rows over data × fsdp together
        ((2, 2, 2), (16, 32), (("fsdp", "data"), None)),
        ((2, 1, 4), (12, 64, 8), (None, "model", None)),
        ((1, 1, 1), (5, 7), ("data", "model")),  # one device holds everything
    ]

    def test():
        for sizes, shape, spec in cases:
            mesh = AbstractMesh(sizes, AXES, axis_types=(AxisType.Auto,) * len(AXES))
            want = tuple(NamedSharding(mesh, P(*spec)).shard_shape(shape))
            got = shard_shape(shape, spec, dict(zip(AXES, sizes)))
            if got is None or tuple(int(n) for n in got) != want:
                raise NotYet(
                    f"an array {shape} split as P{spec} over {dict(zip(AXES, sizes))} leaves each device "
                    f"{want}, yours says {got}."
                )

    return check("the shape one device holds", test)


def check_data_parallel_grad(data_parallel_grad) -> bool:
    """``data_parallel_grad(grad_fn, params, x, y, n_devices)`` against ``jax.grad`` on the whole batch; each
    shard's gradient must come from ``grad_fn`` called on that shard's rows alone."""
    import jax
    import jax.numpy as jnp

    def loss(params, x, y):  # a mean over the rows, like minisora's losses
        return jnp.mean((jnp.tanh(x @ params["w"] + params["b"]) - y) ** 2)

    def test():
        rng = np.random.default_rng(11)
        calls = []  # the rows grad_fn was called on: one entry per device

        def grad_fn(params, xs, ys):
            calls.append(np.asarray(xs).copy())
            return jax.grad(loss)(params, xs, ys)

        for B, n_devices in ((8, 4), (8, 2), (6, 3), (4, 1), (4, 4)):
            x = rng.normal(size=(B, 3)).astype(np.float32)
            y = rng.normal(size=(B, 2)).astype(np.float32)
            params = {"w": jnp.asarray(rng.normal(size=(3, 2)), jnp.float32), "b": jnp.zeros(2, jnp.float32)}
            calls.clear()
            got = data_parallel_grad(grad_fn, params, x, y, n_devices)
            if len(calls) != n_devices or any(len(c) != B // n_devices for c in calls):
                raise NotYet(
                    f"with {n_devices} devices and {B} rows, call grad_fn once per device on "
                    f"{B // n_devices} rows; yours called it on {[len(c) for c in calls]} rows."
                )
            if not np.array_equal(np.concatenate(calls), x):
                raise NotYet("the shards must be consecutive rows, every row once, in order.")
            want = jax.grad(loss)(params, x, y)
            for name in ("w", "b"):
                if not np.allclose(np.asarray(got[name]), np.asarray(want[name]), rtol=1e-5, atol=1e-7):
                    raise NotYet(
                        f"with {n_devices} devices the gradient of {name!r} on the whole batch is "
                        f"{np.round(np.asarray(want[name]), 4).tolist()}, yours is "
                        f"{np.round(np.asarray(got[name]), 4).tolist()}."
                    )

    return check("the data-parallel gradient", test)
