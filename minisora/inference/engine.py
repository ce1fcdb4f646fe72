"""Continuous batching: many requests share S decode slots and one compiled step.

A server cannot wait for a batch to fill, nor for its longest answer to end: requests come and
go. The engine keeps S slots — rows of one decoding state — and loops:

    admit      take as many waiting requests as there are free slots; prefill them in one call,
               each row as if alone (``prefill(prompt) -> (first logits, state)``, one compile
               per prompt bucket and count of prompts), draw their first tokens, and ``insert``
               each state into a free slot
    generate   one compiled call for all S slots: ``nn.step`` feeds each slot its last token,
               and each slot draws its next one with its own temperature / top-k / top-p / seed
    deliver    each live request gets its token; a slot frees the step its request ends
               (its stop token, ``max_tokens``, or ``cancel`` — a stop string, a client gone)

The generate step runs ``chunk`` tokens per compiled call (a ``lax.scan``; default 4): on a
2-core CPU, the baby GPT's step went from 4.95 to 2.30 ms per token with one live slot and from
20.7 to 16.1 ms with 32 (tutorials/12 and docs/performance.md); a new request then waits up to
``chunk`` steps for a slot. A server wants both: long calls while the same requests decode (fewer
calls, fewer server-sent events), short ones while requests arrive (a request that comes during a
call waits for its end before its prefill). ``arrival_chunk`` is the short one: a call runs it when
the step admitted a request or one is waiting, and ``chunk`` otherwise (``minisora serve``: 1 and 32).

Shapes never change while serving: S slots, ``max_len`` positions per slot, a prompt bucket
per prefill. So nothing recompiles after the first request of each bucket.

The slots of the two families differ. ChatGPT's are rows of the key/value cache, used as a
ring (``ChatGPT.step``): every slot writes its new token at the same index, a new request's
prompt goes into the slots just before it, and each row attends only to its own request's
slots — so requests that started at different times share one step. A slot's cache holds
``max_len`` tokens whatever its request needs, but the step need not read them all: the cache is
cut into blocks of ``CACHE_BLOCK`` slots, and a block no live request has written is skipped
(``ChatGPT.cut_cache``, ``fast.attend_blocks``), so short requests make a faster step. Sora's
slots are LSTM states plus the encoder outputs of the prompt, padded to ``max_len``: constant in
the answer's length.

On several devices (``mesh``: a CPU split into cores with ``--cpu-devices``, or the chips of a
GPU/TPU host) the slots are split over them, each device holding and decoding its own
(``parallel.slot_shardings``): the same compiled step, partitioned by XLA, and the same tokens.

Sampling is per request: row b draws with ``fold_in(key(seed_b), t_b)`` at its t-th token,
exactly as ``decode.generate`` draws for that prompt alone. So a request gets the tokens
``minisora generate`` gives it — greedy or seeded — whatever else is in the batch (up to the
order in which floating-point sums over the cache are taken, which can differ in the last bit).
"""

from __future__ import annotations

import collections
import threading
from dataclasses import dataclass, field
from functools import partial
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from .. import nn
from ..errors import UserError
from ..parallel import slot_shardings
from ..tokenizer import BOS_ID, EOS_ID, pad_rows
from .decode import bucket, prompt_room, sampling_params
from .sampling import DEFAULT_SEED, DEFAULT_TEMPERATURE, sample_rows


class QueueFull(Exception):
    """Every slot is busy and the waiting line is at its bound."""


@dataclass
class Request:
    """One request: prompt ids in, tokens out through ``emit(token, finish_reason)``.

    ``emit`` is called from the engine's thread once per new token (``finish_reason`` None), then
    once with ``(None, "stop" | "length" | "cancelled")``. The stop token itself is not emitted.
    """

    prompt: list[int]
    max_tokens: int
    emit: Callable[[int | None, str | None], None]
    temperature: float = DEFAULT_TEMPERATURE
    top_k: int | None = None
    top_p: float | None = None
    seed: int = DEFAULT_SEED
    cancelled: bool = False
    n_out: int = field(default=0, init=False)

    def cancel(self) -> None:
        """Free the request's slot at the next step (thread-safe: a flag the engine reads)."""
        self.cancelled = True


@partial(jax.jit, static_argnames=("graphdef",))
def prefill_rows(graphdef, params, ids, mask):
    """n left-padded prompts (n, P), each prefilled as if alone -> (the logits of their first
    tokens (n, V), their one-row states stacked on a new leading axis).

    ``vmap`` over the rows keeps each row's computation that of a batch of one (what ``insert``
    takes and ``decode.generate`` runs), while the matmuls see all n rows at once.
    """
    one = lambda i, m: nn.prefill(graphdef, params, i[None], m[None], ids.shape[1])  # noqa: E731
    z, ones = jax.vmap(one)(ids, mask)  # z (n, 1, V)
    return z[:, 0], ones


@jax.jit
def first_tokens(z, seeds, temperature, top_k, top_p):
    """Each prompt's first token, drawn as ``decode.generate`` draws it (token index 0); compiled
    apart from the prefill, so once per count of prompts, not once per prompt bucket as well."""
    keys = jax.vmap(lambda s: jax.random.fold_in(jax.random.key(s), 0))(seeds)
    return sample_rows(keys, z, temperature, top_k, top_p)


@partial(jax.jit, static_argnames=("graphdef",), donate_argnames=("state",))
def insert_rows(graphdef, params, state, ones, rows, n):
    """The first ``n`` prefilled one-row states ``ones`` into slots ``rows``, one after the other
    (the rows past ``n`` pad a call up to a compiled count of prompts and go nowhere)."""
    def put(r, state):
        return nn.insert(graphdef, params, state, jax.tree.map(lambda x: x[r], ones), rows[r])
    return jax.lax.fori_loop(0, n, put, state)


def count_buckets(slots: int) -> list[int]:
    """How many prompts one prefill call takes: 1, 4, 16, … and ``slots`` itself. Each size
    compiles once per prompt bucket; ``group_sizes`` cuts a burst of requests into them."""
    sizes = [1]
    while sizes[-1] * 4 < slots:
        sizes.append(sizes[-1] * 4)
    return sorted({*sizes, slots})


def group_sizes(n: int, counts: list[int]) -> list[tuple[int, int]]:
    """n waiting requests -> prefill calls, each (requests, compiled count ≥ requests): one call
    padded up to the next count when at least half its rows are real (n = 31 of counts 1, 4, 16,
    32: one call of 32), else a full call of the largest count that fits, and the rest after it."""
    calls = []
    while n > 0:
        up = min([c for c in counts if c >= n] or [counts[-1]])
        if up <= 2 * n:  # one call of ``up`` rows, the real ones at least half of them
            calls.append((min(n, up), up))
        else:
            full = max(c for c in counts if c <= n)
            calls.append((full, full))
        n -= calls[-1][0]
    return calls


CACHE_BLOCK = 64  # slots per block of a ChatGPT engine's cache (docs/performance.md, "Serving")


def cache_blocks(config) -> int:
    """How many blocks of slots a ChatGPT engine cuts its cache into, so that its step reads only
    the blocks its live requests use (``fast.attend_blocks``); 1 (no cut) for Sora, whose state
    does not grow, and for scanned layers, whose cache is one stacked buffer."""
    if config.family != "gpt" or config.scan_layers:
        return 1
    return max(1, config.max_len // CACHE_BLOCK)


@partial(jax.jit, static_argnames=("graphdef", "k"), donate_argnames=("state",))
def generate_steps(graphdef, params, state, tokens, live, seeds, t, temperature, top_k, top_p, *, k: int):
    """k tokens for every slot in one call (a ``lax.scan`` of k steps): -> (state, tokens (k, S)).

    k > 1 pays the call's fixed cost (arguments in, tokens out, Python around it) once per k
    tokens; a request that ends inside the k steps wastes the rest of its row, and a new one waits
    up to k steps for its slot (the engine's ``chunk``; measured in docs/performance.md).
    """
    max_pos = state["valid"].shape[1] - 1 if "pos" in state else None
    if "pos" in state:  # a free ChatGPT slot keeps position 0, so its garbage stays finite
        state = dict(state, pos=jnp.where(live, state["pos"], 0))
    if "used" in state:  # a cache in blocks: read only the blocks of live requests (and those written now)
        state = dict(state, used=nn.blocks_in_use(state["valid"] & live[:, None], state["k"][0]))
    keys = jax.vmap(jax.random.key)(seeds)

    def body(carry, i):
        state, y = carry
        if max_pos is not None:  # a row whose request ended inside this call must not run past the table
            state = dict(state, pos=jnp.minimum(state["pos"], max_pos))
        z, state = nn.step(graphdef, params, state, y)
        y = sample_rows(jax.vmap(jax.random.fold_in)(keys, t + i), z, temperature, top_k, top_p)
        return (state, y), y

    (state, _), ys = jax.lax.scan(body, (state, tokens), jnp.arange(k))
    return state, ys


class Engine:
    """S decode slots over one model; ``submit`` requests from any thread, ``run`` in one thread."""

    def __init__(self, graphdef, params, config, *, slots: int = 8, stop_ids=(EOS_ID,), start_id=BOS_ID,
                 queue_size: int = 256, chunk: int = 4, arrival_chunk: int | None = None, mesh=None,
                 blocks: int | None = None):
        if slots < 1:
            raise UserError(f"The server needs at least one slot, not {slots}.")
        self.graphdef, self.config = graphdef, config
        self.slots, self.length = slots, config.max_len
        self.blocks = cache_blocks(config) if blocks is None else blocks
        if mesh is None:  # one device: the state where the compiled calls leave their outputs
            self.placement = jax.devices()[0]
        else:  # the slots split over the mesh's data axis, the weights on every device
            self.placement = slot_shardings(graphdef, params, slots, self.length, mesh, blocks=self.blocks)
            params = jax.device_put(params, NamedSharding(mesh, P()))
        self.params = params
        self.stop_ids, self.start_id, self.queue_size = set(stop_ids), start_id, queue_size
        self.chunk = chunk  # tokens per compiled call
        self.arrival_chunk = arrival_chunk or chunk  # … while requests arrive
        self.counts = count_buckets(slots)  # prompts per prefill call
        self.state = self.empty_state()
        self.active: list[Request | None] = [None] * slots
        self.tokens = np.zeros(slots, np.int32)  # each slot's last token, fed to the next step
        self.seeds = np.zeros(slots, np.int32)
        self.t = np.zeros(slots, np.int32)  # index of the slot's next token in its answer
        self.temperature = np.zeros(slots, np.float32)
        self.top_k = np.full(slots, config.vocab_size, np.int32)
        self.top_p = np.ones(slots, np.float32)
        self.waiting: collections.deque[Request] = collections.deque()
        self.wake = threading.Condition()
        self.steps = 0  # generate steps run (for the benchmark)
        # called in the engine's thread after each step, once its tokens are all emitted: a server
        # wakes its event loop once per call instead of once per token
        self.delivered: Callable[[], None] | None = None

    def empty_state(self):
        # placed like the outputs of the compiled calls, so that both have the same signature and
        # the first call after a reset does not compile again
        state = nn.empty_slots(self.graphdef, self.params, self.slots, self.length, self.blocks)
        return jax.device_put(state, self.placement)

    # -- requests ---------------------------------------------------------------------------

    def room(self, max_tokens: int) -> int:
        """The longest prompt a request of ``max_tokens`` may have (``decode.prompt_room``: ChatGPT's
        slot holds prompt and answer in ``max_len`` tokens, Sora's encoder ``max_len`` prompt tokens)."""
        if max_tokens < 1:
            raise UserError(f"max_tokens must be at least 1, not {max_tokens}.")
        return prompt_room(self.config, max_tokens)

    def check(self, request: Request) -> None:
        """Refuse, in one sentence, what the slots cannot hold (before the request waits)."""
        sampling_params(self.config.vocab_size, request.temperature, request.top_k, request.top_p)
        room = self.room(request.max_tokens)
        if len(request.prompt) > room:
            raise UserError(f"The prompt has {len(request.prompt)} tokens; with max_tokens={request.max_tokens} "
                            f"at most {room} fit in this model's context of {self.length}.")
        if not request.prompt and self.start_id is None:
            raise UserError("The prompt is empty, and this tokenizer has no <s> token to start from.")

    def submit(self, request: Request) -> None:
        self.check(request)
        with self.wake:
            if len(self.waiting) >= self.queue_size:
                raise QueueFull(f"All {self.slots} slots are busy and {len(self.waiting)} requests wait; try again soon.")
            self.waiting.append(request)
            self.wake.notify()

    def busy(self) -> int:
        return sum(r is not None for r in self.active)

    # -- the loop ---------------------------------------------------------------------------

    def admit(self) -> int:
        """Fill free slots from the waiting line, prefilling the requests taken in as few calls
        as the compiled counts allow (each row as if alone). -> how many were admitted."""
        free = [i for i in range(self.slots) if self.active[i] is None]
        taken = []
        with self.wake:
            while self.waiting and len(taken) < len(free):
                request = self.waiting.popleft()
                if request.cancelled:
                    request.emit(None, "cancelled")
                else:
                    taken.append(request)
        admitted = len(taken)
        restart = self.busy() == 0  # for the first call only: the index stays where it put its prompts
        for n, count in group_sizes(len(taken), self.counts):
            self.prefill_into(taken[:n], free[:n], count, restart=restart)
            taken, free, restart = taken[n:], free[n:], False
        return admitted

    def prefill_into(self, requests: list[Request], slots: list[int], count: int | None = None,
                     restart: bool = False) -> None:
        """Prefill ``requests`` in one call (padded to ``count`` rows with copies of the last),
        insert them into ``slots``, deliver their first tokens. ``restart`` (no slot is live): a
        ChatGPT engine's ring starts afresh, the prompts in its first slots, so that requests that
        come together fill as few blocks of the cache as they can (``cache_blocks``)."""
        n, count = len(requests), count or len(requests)
        requests = requests + [requests[-1]] * (count - n)
        slots = slots + [slots[-1]] * (count - n)
        prompts = [r.prompt or [self.start_id] for r in requests]
        # buckets capped at max_len, not at the request's room, so their number stays small; a
        # ChatGPT slot's ring may then wrap over the bucket's pads, never over a real token
        ids, mask = pad_rows(prompts, bucket(max(map(len, prompts)), self.length), left=True)
        s = [sampling_params(self.config.vocab_size, r.temperature, r.top_k, r.top_p) for r in requests]
        temperature, top_k, top_p = (np.array(x) for x in zip(*s))
        z, ones = prefill_rows(self.graphdef, self.params, ids, mask)
        if restart and "used" in self.state:  # the prompts go just before the write index: slots 0..P-1
            index = jax.device_put(np.int32(ids.shape[1]), self.state["index"].sharding)
            self.state = dict(self.state, index=index)
        ys = first_tokens(z, np.array([r.seed for r in requests], np.int32), temperature, top_k, top_p)
        self.state = insert_rows(self.graphdef, self.params, self.state, ones, np.array(slots, np.int32), np.int32(n))
        ys = np.asarray(ys)
        for k, (i, request) in enumerate(zip(slots[:n], requests[:n])):
            self.active[i] = request
            self.seeds[i], self.t[i] = request.seed, 1
            self.temperature[i], self.top_k[i], self.top_p[i] = s[k]
            self.deliver(i, int(ys[k]))

    def deliver(self, i: int, token: int) -> None:
        request = self.active[i]
        if request.cancelled:
            self.free(i, "cancelled")
            return
        if token in self.stop_ids:
            self.free(i, "stop")
            return
        request.n_out += 1
        request.emit(token, None)
        self.tokens[i] = token
        if request.n_out >= request.max_tokens:
            self.free(i, "length")
        elif request.cancelled:
            self.free(i, "cancelled")

    def free(self, i: int, reason: str) -> None:
        request, self.active[i] = self.active[i], None
        request.emit(None, reason)

    def generate(self, k: int | None = None) -> None:
        """One compiled call of ``k`` steps (default ``chunk``) for every slot, then each live
        request's tokens."""
        k = k or self.chunk
        live = np.array([r is not None for r in self.active])
        self.state, ys = generate_steps(self.graphdef, self.params, self.state, self.tokens, live, self.seeds,
                                        self.t, self.temperature, self.top_k, self.top_p, k=k)
        self.steps += k
        ys = np.asarray(ys)  # (k, S)
        self.t += k
        for row in ys:
            for i in np.flatnonzero(live):
                if self.active[i] is not None and live[i]:
                    self.deliver(int(i), int(row[i]))
            live &= np.array([r is not None for r in self.active])

    def step(self) -> bool:
        """Admit, then generate once if any slot is live. -> whether there was work."""
        arriving = self.admit() > 0 or bool(self.waiting)
        worked = self.busy() > 0
        if worked:
            self.generate(self.arrival_chunk if arriving else self.chunk)
        if self.delivered is not None:
            self.delivered()
        return worked

    def run(self, stop: threading.Event) -> None:
        """Serve until ``stop`` is set: sleep while there is nothing to do."""
        while not stop.is_set():
            with self.wake:
                if not self.waiting and not self.busy():
                    self.wake.wait(timeout=0.1)
                    continue
            self.step()

    def stop_waiting(self) -> None:
        """Wake ``run`` (after setting its stop event)."""
        with self.wake:
            self.wake.notify_all()

    def warm_up(self, buckets=None) -> None:
        """Compile the step, and the prefill of every prompt bucket for every count of prompts,
        now, not on a user's request."""
        sizes = sorted({bucket(n, self.length) for n in (buckets or [2 ** k for k in range(3, 16)] + [self.length])
                        if n <= self.length})
        done = []
        for size in sizes:
            for count in self.counts:
                for _ in range(count):
                    self.waiting.append(Request([self.start_id or 0] * min(size, self.room(2)), 2,
                                                lambda y, f: done.append(f)))
                while self.waiting or self.busy():
                    self.step()
        for k in {self.chunk, self.arrival_chunk}:  # both lengths of call, whichever the loop above ran
            self.waiting.append(Request([self.start_id or 0], 2, lambda y, f: done.append(f)))
            self.admit()
            self.generate(k)
        self.state = self.empty_state()  # forget the warm-up
