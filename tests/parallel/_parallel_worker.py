"""Run by tests/parallel/test_parallel.py in a fresh process with 8 fake CPU devices (the device count
must be fixed before JAX starts, so it cannot be changed inside the pytest process).

For each model and each mesh it runs the same two train steps as on one device and prints, as
one JSON line: the losses of both, the largest difference of the updated parameters, and every
array whose sharding differs from what parallel.RULES say. It then saves a checkpoint from an
8-device mesh (for the parent to restore on 1 device) and restores it onto another mesh.

    python tests/parallel/_parallel_worker.py OUT_DIR
"""

import json
import sys
from pathlib import Path

import jax
import numpy as np

from minisora import parallel
from minisora.config import ModelConfig, TrainConfig
from minisora.nn import create
from minisora.parallel.sharding import _path_str
from minisora.tokenizer import pad_rows
from minisora.training import checkpoint
from minisora.training.batches import Batches
from minisora.training.optim import make_optimizer
from minisora.training.step import make_steps, split_model

# DP, FSDP and both for ChatGPT; for Sora one mesh that uses all three axes, tensor parallel
# included (its encoder blocks have ChatGPT's Megatron layout). Each mesh is a compile: the cost here.
MESHES = {"gpt": ("data=8", "fsdp=8", "data=2,fsdp=4"), "sora": ("data=2,fsdp=2,model=2",)}
B, SEQ, V = 8, 16, 64


def config(family: str) -> ModelConfig:
    # small, but every axis size divides what it splits (so nothing silently stays whole);
    # dropout on, so the sharded random bits are checked too
    return ModelConfig(family=family, vocab_size=V, d_model=32, n_heads=4, n_layers=2, d_ff=64,
                       max_len=32, d_lstm=32, dropout=0.1)


def batches(family: str, n: int) -> list[dict]:
    rng = np.random.default_rng(0)
    ids = rng.integers(9, V, size=4000).astype(np.int32)
    b = Batches(family, "text", ids, ids, batch_size=B, seq_len=SEQ, vocab_size=V)
    return [b.sample(rng) for _ in range(n)]


def run(model_name: str, mesh=None, steps: int = 2):
    """Two train steps from the same initial state -> (losses, params, opt_state, XLA's FLOPs of
    the step summed over the devices)."""
    cfg = TrainConfig(steps=10, batch_size=B, seq_len=SEQ, warmup=0).resolved()
    graphdef, params, rest = split_model(create(config(model_name), seed=0))
    opt_state = make_optimizer(cfg).init(params)
    sh = None
    if mesh is not None:
        sh = parallel.train_shardings(mesh, params, opt_state)
        params, opt_state, rest = sh.place(params, opt_state, rest)
    train_step, _ = make_steps(graphdef, cfg, sh)
    losses, flops = [], None
    for t, batch in enumerate(batches(model_name, steps)):
        if mesh is not None:
            batch = parallel.place_batch(batch, mesh)
        if flops is None:  # compile once, ask XLA what one device's program costs
            train_step = train_step.lower(params, opt_state, rest, batch, np.int32(t)).compile()
            cost = train_step.cost_analysis()
            flops = float((cost[0] if isinstance(cost, (list, tuple)) else cost)["flops"]) * (mesh.size if mesh else 1)
        params, opt_state, metrics = train_step(params, opt_state, rest, batch, np.int32(t))
        losses.append(float(metrics["loss"]))
    return losses, params, opt_state, flops


def wrong_shardings(tree, mesh) -> list[str]:
    """Leaves whose actual sharding or per-device shard shape is not the rule's."""
    bad = []
    for path, x in jax.tree_util.tree_flatten_with_path(tree)[0]:
        name = _path_str(path)
        want = jax.sharding.NamedSharding(mesh, parallel.spec_for(name, x.shape, mesh, strict=False))
        shard = x.addressable_shards[0].data.shape
        if not x.sharding.is_equivalent_to(want, x.ndim) or shard != want.shard_shape(x.shape):
            bad.append(f"{name}: {x.sharding.spec} {shard}, rule {want.spec} {want.shard_shape(x.shape)}")
    return bad


def max_diff(a, b) -> float:
    return max(float(np.max(np.abs(np.asarray(x) - np.asarray(y)))) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)))


def decoding(model_name: str, spec: str) -> dict:
    """Greedy and sampled decoding of 8 prompts of different lengths on a mesh against one device,
    and whether each device holds only its rows of the decode state."""
    from flax import nnx

    from minisora.inference import decode

    cfg = config(model_name)
    graphdef, params = nnx.split(create(cfg, seed=0))
    rng = np.random.default_rng(1)
    prompts = [rng.integers(9, V, size=n).tolist() for n in (3, 5, 8, 2, 7, 4, 6, 1)]
    ids, mask = pad_rows(prompts, 8, left=True)
    key, stops = jax.random.key(3), np.zeros(0, np.int32)
    mesh = parallel.make_mesh(spec)
    sharded = parallel.place_for_decoding(mesh, params, ids, mask)
    result = {}
    for name, temperature in (("greedy", 0.0), ("sampled", 0.9)):
        sampling = decode.sampling_params(V, temperature, top_k=20)
        run = lambda p, i, m: decode.decode_cached(graphdef, p, i, m, key, sampling, stops,  # noqa: E731
                                                   max_new_tokens=12, greedy=temperature == 0.0)
        result[name] = (np.asarray(run(params, ids, mask)).tolist(), np.asarray(run(*sharded)).tolist())
    p, i, m = sharded
    state, _, _ = decode.first_token(graphdef, p, i, m, key, decode.sampling_params(V, 0.0), stops, cache_len=20, greedy=True)
    rows = [x for x in jax.tree.leaves(state) if x.ndim and x.shape[0] % 8 == 0]
    result["state_rows_split"] = bool(rows) and all(
        x.addressable_shards[0].data.shape[0] * mesh.shape["data"] * mesh.shape["fsdp"] == x.shape[0] for x in rows)
    return result


def engine_slots(model_name: str, spec: str) -> dict:
    """A server's engine with its 8 slots split over the mesh against the same engine on one device:
    the same tokens for 10 mixed requests (greedy and seeded-sampled, more requests than slots), and
    each device holding only its slots of the state."""
    from flax import nnx

    from minisora.inference.engine import Engine, Request

    cfg = config(model_name)
    graphdef, params = nnx.split(create(cfg, seed=0))
    rng = np.random.default_rng(2)
    prompts = [rng.integers(9, V, size=n).tolist() for n in (3, 5, 8, 2, 7, 4, 6, 1, 9, 3)]
    mesh = parallel.make_mesh(spec)

    def serve(mesh):
        # ChatGPT's cache cut into 2 blocks of slots (a replicated flag per block says which are read)
        engine = Engine(graphdef, params, cfg, slots=8, stop_ids=(), chunk=3, mesh=mesh,
                        blocks=2 if cfg.family == "gpt" else 1)
        outs = [[] for _ in prompts]
        for i, prompt in enumerate(prompts):
            engine.submit(Request(prompt, 7 + i % 3, lambda y, f, i=i: outs[i].append(y) if y is not None else None,
                                  temperature=0.0 if i % 2 else 0.8, top_k=None if i % 2 else 20, seed=i))
        while engine.step():
            pass
        return outs, engine

    one, _ = serve(None)
    split, engine = serve(mesh)
    rows = [x for x in jax.tree.leaves({k: v for k, v in engine.state.items() if k != "used"}) if x.ndim]
    return {"one": one, "mesh": split, "slots_split": bool(rows) and all(
        x.addressable_shards[0].data.size * mesh.shape["data"] == x.size for x in rows)}


def main(out: Path) -> None:
    assert jax.device_count() == 8, jax.devices()
    report, saved = {}, None
    for model_name, meshes in MESHES.items():
        ref_losses, ref_params, _, ref_flops = run(model_name)
        for spec in meshes:
            mesh = parallel.make_mesh(spec)
            losses, params, opt_state, flops = run(model_name, mesh)
            report[f"{model_name} {spec}"] = dict(
                ref_losses=ref_losses, losses=losses, param_diff=max_diff(ref_params, params),
                flops_ratio=flops / ref_flops,  # > 1: devices repeat each other's work
                wrong=wrong_shardings(params, mesh) + wrong_shardings(opt_state, mesh),
                matrices_split=all(  # FSDP: no matrix, and no big optimizer array, is left whole on a device
                    x.addressable_shards[0].data.size * mesh.shape["fsdp"] == x.size
                    for x in jax.tree.leaves(params) + jax.tree.leaves(opt_state) if x.ndim >= 2 or x.size >= 1024
                ) if spec == "fsdp=8" else None,
            )
            if (model_name, spec) == ("gpt", "data=2,fsdp=4"):
                saved = params, opt_state

    # checkpoint: saved from an 8-device FSDP mesh ...
    params, opt_state = saved
    mgr = checkpoint.manager(out / "run")
    checkpoint.save(mgr, 2, params, opt_state, {"note": "from data=2,fsdp=4"})
    mgr.close()
    np.savez(out / "params.npz", *[np.asarray(x) for x in jax.tree.leaves(params)])
    # ... restored onto a different mesh (tensor parallel): values equal, shardings the new mesh's
    other = parallel.make_mesh("data=4,model=2")
    _, fresh, fresh_opt, _ = run("gpt", None, steps=0)
    sh = parallel.train_shardings(other, fresh, fresh_opt)
    like_params, like_opt = jax.device_put(fresh, sh.params), jax.device_put(fresh_opt, sh.opt_state)
    mgr = checkpoint.manager(out / "run", create=False)
    step, restored, restored_opt, _ = checkpoint.restore(mgr, like_params, like_opt)
    mgr.close()
    report["restore data=4,model=2"] = dict(
        step=step, param_diff=max_diff(params, restored), opt_diff=max_diff(opt_state, restored_opt),
        wrong=wrong_shardings(restored, other) + wrong_shardings(restored_opt, other),
    )
    report["decode gpt data=8"] = decoding("gpt", "data=8")
    report["decode sora data=4,model=2"] = decoding("sora", "data=4,model=2")
    report["engine gpt data=8"] = engine_slots("gpt", "data=8")
    report["engine sora data=8"] = engine_slots("sora", "data=8")
    print(json.dumps(report))


if __name__ == "__main__":
    jax.config.update("jax_num_cpu_devices", 8)  # before any device is touched
    main(Path(sys.argv[1]))
