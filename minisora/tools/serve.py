"""``minisora serve``: trained runs behind an OpenAI-compatible HTTP API, and a chat page.

    GET  /                      the chat page (chat.html, beside this file): every model side by side
    GET  /health                {"status": "ok"}
    GET  /v1/models             every served run, by id (the run folder's name)
    POST /v1/chat/completions   messages -> the run's dialogue layout -> an answer (streamed or not)
    POST /v1/completions        a prompt -> its continuation (pre-trained runs)

The path of a request: JSON body -> checked fields -> the tokenizer (``inference.chat``: the
messages in minisora's layout <user> q <assistant> a </s> …) -> ``Engine.submit`` (inference/
engine.py: prefill, insert into a free slot, one compiled step for all slots) -> tokens, handed
from the engine's thread to the request's buffer -> text deltas that never split a UTF-8
character -> server-sent events (``data: {chunk}``, then ``data: [DONE]``) or one JSON body.

Errors are OpenAI's shape, ``{"error": {"message", "type", "param", "code"}}``, with a 4xx status,
and the server keeps serving. A conversation longer than the context loses its oldest turns, as
``minisora chat`` does, and the response says so (``"minisora": {"dropped_turns": n}``). A client
that goes away frees its slot at the next step. Defaults are minisora's one set (greedy): a
request that gives no temperature gets the answer ``minisora chat`` gives.

FastAPI and uvicorn come with the ``serve`` extra: ``pip install -e ".[serve]"``.
"""


import asyncio
import collections
import json
import math
import threading
import time
import uuid
import weakref
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path

import jax
from flax import nnx

from .. import nn, parallel
from ..errors import UserError
from ..inference import chat
from ..inference.engine import Engine, QueueFull, Request
from ..inference.run import Run, load
from ..inference.sampling import DEFAULT_MAX_NEW_TOKENS, DEFAULT_SEED, DEFAULT_TEMPERATURE
from ..tokenizer import USER_ID

PAGE = Path(__file__).with_name("chat.html")
MAX_BODY = 1 << 20  # bytes: a request body past this is refused (413)
DRAIN_LIMIT = 16 << 20  # bytes: a refused body up to this size is read (and dropped) before the 413
MAX_N = 8  # choices per request
# tokens per compiled engine call: 32 while the same requests decode, 1 while requests arrive
# (inference/engine.py; measured in docs/performance.md, "Serving")
CHUNK, ARRIVAL_CHUNK = 32, 1


class ApiError(Exception):
    """A request the API refuses: HTTP ``status`` and OpenAI's error fields."""

    def __init__(self, status: int, message: str, param: str | None = None, code: str | None = None,
                 kind: str = "invalid_request_error"):
        super().__init__(message)
        self.status, self.message, self.param, self.code, self.kind = status, message, param, code, kind

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}}


@dataclass
class Served:
    """One run behind the API: its engine and the thread that runs it."""

    id: str
    run: Run
    engine: Engine
    chat: bool
    thread: threading.Thread | None = None
    streams: weakref.WeakSet = field(default_factory=weakref.WeakSet)  # the requests' streams, for ``wake``

    def wake(self) -> None:
        """In the server's loop, once per engine call (the engine's ``delivered``): every stream with
        new tokens goes on. One wake-up of the loop per call, not one per token: each wake-up writes
        to the loop's pipe and takes the interpreter lock from the engine (docs/performance.md, "Serving")."""
        for stream in list(self.streams):
            if stream.buffer:
                stream.ready.set()

    @cached_property
    def state_table(self) -> dict:
        """Decode-state bytes of one request (a 16-token prompt) by the length of its answer:
        ChatGPT's key/value cache grows with it, Sora's LSTM state does not. Shapes only, but
        each traces the model (~0.2 s), so they are worked out once, not on every /v1/models."""
        config = self.run.config
        answers = [n for n in (16, 64, 256, 1024) if config.family == "sora" or n < config.max_len - 16]
        return {str(n): nn.state_bytes(config, 16, n) for n in answers}

    def card(self) -> dict:
        config = self.run.config
        return {"id": self.id, "object": "model", "created": int(self.run.run_dir.stat().st_mtime),
                "owned_by": "minisora", "family": config.family, "chat": self.chat,
                "context": config.max_len, "slots": self.engine.slots,
                "state_bytes": self.state_table}


def serve_runs(run_dirs, *, slots: int = 8, queue_size: int = 256, warm_up: bool = True,
               say=print) -> dict[str, Served]:
    """Load each run and build its engine (compiled now, unless ``warm_up`` is False). With more
    than one device (``--cpu-devices N`` on a CPU), each engine splits its slots over all of them."""
    served: dict[str, Served] = {}
    mesh = parallel.make_mesh("data=-1") if jax.device_count() > 1 else None
    for run_dir in run_dirs:
        run = load(run_dir)
        tok = chat.tokenizer_of(run)
        name = Path(run_dir).resolve().name
        model_id, k = name, 2
        while model_id in served:
            model_id, k = f"{name}-{k}", k + 1
        graphdef, params = nnx.split(run.model)
        engine = Engine(graphdef, params, run.config, slots=slots, queue_size=queue_size, chunk=CHUNK,
                        arrival_chunk=ARRIVAL_CHUNK, mesh=mesh, **chat.special_args(tok))
        if warm_up:
            where = f", split over {jax.device_count()} devices" if mesh is not None else ""
            say(f"compiling {model_id} ({run.config.family}, {slots} slots{where}) …")
            engine.warm_up()
        served[model_id] = Served(model_id, run, engine, chat.is_chat(run))
        if warm_up:  # the first GET /v1/models answers at once too
            served[model_id].state_table  # noqa: B018
    return served


# --- the request's fields ---------------------------------------------------------------------


def number(body: dict, name: str, default, *, kind=float, low=None, high=None, low_open=False):
    """body[name] checked: a number of ``kind`` within [low, high] (or (low, high] with low_open)."""
    value = body.get(name, default)
    if value is None:
        return default
    ok_type = (int,) if kind is int else (int, float)
    if isinstance(value, bool) or not isinstance(value, ok_type) or (kind is float and not math.isfinite(value)):
        raise ApiError(400, f"'{name}' must be a {'whole number' if kind is int else 'finite number'}, "
                            f"not {json.dumps(value)}.", name)
    if (low is not None and (value <= low if low_open else value < low)) or (high is not None and value > high):
        span = f"{'(' if low_open else '['}{low}, {high if high is not None else '∞'}]"
        raise ApiError(400, f"'{name}' must be in {span}, not {value}.", name)
    return value


def stop_strings(body: dict) -> list[str]:
    stop = body.get("stop")
    if stop is None:
        return []
    stops = [stop] if isinstance(stop, str) else stop
    if not isinstance(stops, list) or not all(isinstance(s, str) and s for s in stops) or len(stops) > 4:
        raise ApiError(400, "'stop' must be a non-empty string or a list of up to 4 of them.", "stop")
    return stops


def sampling_fields(body: dict, served: Served) -> dict:
    return dict(
        temperature=number(body, "temperature", DEFAULT_TEMPERATURE, low=0, high=100),
        top_p=number(body, "top_p", None, low=0, high=1, low_open=True),
        top_k=number(body, "top_k", None, kind=int, low=1),
        seed=number(body, "seed", DEFAULT_SEED, kind=int, low=-(2 ** 31), high=2 ** 31 - 1),
        max_tokens=number(body, "max_tokens", body.get("max_completion_tokens"), kind=int, low=1),
    )


def chat_ids(served: Served, messages, max_tokens: int) -> tuple[list[int], int]:
    """OpenAI messages -> the run's dialogue layout, oldest turns dropped to fit: (ids, dropped turns)."""
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "'messages' must be a non-empty list of {role, content} objects.", "messages")
    for m in messages:
        if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant", "developer"):
            raise ApiError(400, "Each message needs a 'role' of system, user or assistant.", "messages")
        if not isinstance(m.get("content"), str):
            raise ApiError(400, "Each message needs a 'content' string (text only).", "messages")
    turns = [m for m in messages if m["role"] in ("user", "assistant")]  # the models never saw a system prompt
    if not turns or turns[-1]["role"] != "user":
        raise ApiError(400, "The last message (after any system messages) must be the user's.", "messages")
    tok = chat.tokenizer_of(served.run)
    room = served.engine.room(max_tokens)
    question = tok.encode(turns[-1]["content"])
    history, pending = [], None  # (question ids, answer ids) pairs, as minisora chat keeps them
    for m in turns[:-1]:
        ids = tok.encode(m["content"])
        if m["role"] == "user":
            pending = ids
        else:
            history.append((pending or [], ids))
            pending = None
    ids = chat.chat_context(history, question, room)
    return ids, len(history) - (ids.count(USER_ID) - 1)  # the tokenizer never makes <user> from text


# --- streaming ---------------------------------------------------------------------------------


class Stream:
    """Tokens of one request (from the engine's thread) -> text deltas (in the server's loop)."""

    def __init__(self, tok, stops: list[str]):
        self.tok, self.stops = tok, stops
        self.buffer: collections.deque = collections.deque()  # (token, finish), filled by the engine's thread
        self.ready = asyncio.Event()  # set by ``Served.wake`` when the buffer has something
        self.ids: list[int] = []
        self.sent = ""
        self.finish = None

    def emit(self, token, finish) -> None:  # called in the engine's thread
        self.buffer.append((token, finish))

    async def take(self) -> list:
        """Every (token, finish) the engine has emitted since the last take; waits for at least one.
        (Each emit is followed by the engine's ``delivered`` and so by a ``Served.wake``.)"""
        while not self.buffer:
            self.ready.clear()
            await self.ready.wait()
        return [self.buffer.popleft() for _ in range(len(self.buffer))]

    async def deltas(self, request: Request):
        """Yield text pieces until the request finishes; sets ``self.finish``.

        Every token already queued goes into one piece: the engine makes several tokens per compiled
        call, and one server-sent event per call costs a fraction of one per token.
        """
        hold = max((len(s) for s in self.stops), default=1) - 1  # a stop string may be arriving
        while True:
            batch = await self.take()
            finish = None
            for token, end in batch:
                if end is not None:
                    finish = end
                    break
                self.ids.append(token)
            text = self.tok.decode(self.ids)
            if finish is None:
                text = text.rstrip("\ufffd")  # never send half a character
            cut = min((i for i in (text.find(s) for s in self.stops) if i >= 0), default=-1)
            if cut >= 0:
                if finish is None:
                    request.cancel()
                if text[len(self.sent):cut]:
                    yield text[len(self.sent):cut]
                self.finish = "stop"
                self.sent = text[:cut]
                if finish is None:
                    await self.drain()  # the engine's last emit: the slot is free
                return
            if finish is not None:
                self.finish = "length" if finish == "length" else "stop"
                if text[len(self.sent):]:
                    yield text[len(self.sent):]
                return
            ready = text[: max(len(self.sent), len(text) - hold)] if self.stops else text
            if len(ready) > len(self.sent):
                yield ready[len(self.sent):]
                self.sent = ready

    async def drain(self):
        """After a cancel: wait for the engine to free the slot (its last emit)."""
        while not any(finish is not None for _, finish in await self.take()):
            pass


def sse(obj) -> str:
    return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"


# --- the app -------------------------------------------------------------------------------------


class Guard:
    """The API key and the body's size, checked before a request reaches its route.

    A plain ASGI middleware, not ``@app.middleware("http")``: Starlette's ``BaseHTTPMiddleware``
    passes every streamed event through a second task and queue (docs/performance.md, "Serving").
    """

    def __init__(self, app, *, api_key: str | None, max_body: int):
        self.app, self.api_key, self.max_body = app, api_key, max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            err = None
            if self.api_key is not None and scope["path"].startswith("/v1/"):
                if headers.get(b"authorization", b"").decode("latin-1") != f"Bearer {self.api_key}":
                    err = ApiError(401, "Missing or wrong API key: send 'Authorization: Bearer KEY'.",
                                   code="invalid_api_key", kind="authentication_error")
            size = headers.get(b"content-length", b"").decode("latin-1")
            if err is None and size.isdigit() and int(size) > self.max_body:
                if int(size) <= DRAIN_LIMIT:  # read and drop it, so a client still sending gets the 413, not a broken pipe
                    while (await receive()).get("more_body", False):
                        pass
                err = ApiError(413, f"The request body is over {self.max_body} bytes.", code="body_too_large")
            if err is not None:
                from fastapi.responses import JSONResponse

                return await JSONResponse(err.body(), status_code=err.status)(scope, receive, send)
        await self.app(scope, receive, send)


def create_app(served: dict[str, Served], *, api_key: str | None = None, max_body: int = MAX_BODY):
    """The FastAPI app serving ``served`` (engines already built). Starts their threads on start-up."""
    from fastapi import FastAPI, Request as HttpRequest
    from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse

    stop = threading.Event()

    async def lifespan(app):
        loop = asyncio.get_running_loop()
        for s in served.values():
            s.engine.delivered = partial(loop.call_soon_threadsafe, s.wake)
            s.thread = threading.Thread(target=s.engine.run, args=(stop,), daemon=True, name=f"engine-{s.id}")
            s.thread.start()
        yield
        stop.set()
        for s in served.values():
            s.engine.stop_waiting()
            s.thread.join(timeout=5)

    app = FastAPI(title="minisora", lifespan=lifespan, docs_url=None, redoc_url=None)

    @app.exception_handler(ApiError)
    async def api_error(_, err: ApiError):
        return JSONResponse(err.body(), status_code=err.status)

    app.add_middleware(Guard, api_key=api_key, max_body=max_body)

    async def read_body(request: HttpRequest) -> dict:
        raw = await request.body()
        if len(raw) > max_body:
            raise ApiError(413, f"The request body is over {max_body} bytes.", code="body_too_large")
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ApiError(400, f"The request body is not valid JSON ({e}).", code="invalid_json") from None
        if not isinstance(body, dict):
            raise ApiError(400, "The request body must be a JSON object.", code="invalid_json")
        return body

    def model_of(body: dict) -> Served:
        name = body.get("model")
        if name is None and len(served) == 1:
            return next(iter(served.values()))
        if name not in served:
            raise ApiError(404, f"The model {name!r} is not served here; GET /v1/models lists {', '.join(served)}.",
                           "model", "model_not_found")
        return served[name]

    def submit(s: Served, ids, f: dict, stream: Stream, index: int) -> Request:
        request = Request(ids, f["max_tokens"], stream.emit, temperature=f["temperature"], top_k=f["top_k"],
                          top_p=f["top_p"], seed=f["seed"] + index)
        try:
            s.engine.submit(request)
        except QueueFull as e:
            raise ApiError(429, str(e), code="rate_limit_exceeded", kind="rate_limit_error") from None
        except UserError as e:
            raise ApiError(400, str(e), "max_tokens" if "max_tokens" in str(e) else None,
                           "context_length_exceeded" if "context" in str(e) else None) from None
        return request

    def check_max_tokens(s: Served, f: dict) -> dict:
        if f["max_tokens"] is not None:
            try:
                s.engine.room(f["max_tokens"])
            except UserError as e:
                raise ApiError(400, str(e), "max_tokens", "context_length_exceeded") from None
        return f

    def fill_max_tokens(s: Served, f: dict, prompt_len: int) -> None:
        """No max_tokens given: minisora's default, or as many as fit after the prompt."""
        if f["max_tokens"] is None:
            fits = s.run.config.max_len - prompt_len if s.run.config.family == "gpt" else DEFAULT_MAX_NEW_TOKENS
            f["max_tokens"] = max(1, min(DEFAULT_MAX_NEW_TOKENS, fits))

    async def respond(http: HttpRequest, s: Served, prompts: list[list[int]], f: dict, stops, streaming: bool, include_usage: bool,
                      kind: str, extra: dict):
        tok = chat.tokenizer_of(s.run)
        created, rid = int(time.time()), f"{'chatcmpl' if kind == 'chat' else 'cmpl'}-{uuid.uuid4().hex[:24]}"
        obj = "chat.completion" if kind == "chat" else "text_completion"
        streams = [Stream(tok, stops) for _ in prompts]
        s.streams.update(streams)
        requests = [submit(s, ids, f, st, i) for i, (ids, st) in enumerate(zip(prompts, streams))]
        usage = lambda: {"prompt_tokens": sum(map(len, prompts)), "completion_tokens": sum(len(st.ids) for st in streams),  # noqa: E731
                         "total_tokens": sum(map(len, prompts)) + sum(len(st.ids) for st in streams)}

        if not streaming:
            texts = []
            try:
                for st, r in zip(streams, requests):
                    texts.append("".join([d async for d in st.deltas(r)]))
            finally:
                for r in requests:
                    r.cancel()
            choices = [({"index": i, "message": {"role": "assistant", "content": t}, "finish_reason": st.finish}
                        if kind == "chat" else {"index": i, "text": t, "finish_reason": st.finish, "logprobs": None})
                       for i, (t, st) in enumerate(zip(texts, streams))]
            return JSONResponse({"id": rid, "object": obj, "created": created, "model": s.id, "choices": choices,
                                 "usage": usage(), **extra})

        async def watch():  # a client that goes away frees its slots at once, not at the next failed write
            # the request's body is read, so the next message is the disconnect: waiting for it costs
            # nothing, where polling ``is_disconnected`` every 0.1 s cost the loop ~40 ms a round of 32
            while (await http.receive())["type"] != "http.disconnect":
                pass
            for r in requests:
                r.cancel()

        async def events():
            tasks: dict = {}
            watcher = asyncio.ensure_future(watch())
            try:
                chunk_obj = "chat.completion.chunk" if kind == "chat" else "text_completion"
                head = {"id": rid, "object": chunk_obj, "created": created, "model": s.id}
                if kind == "chat":
                    for i in range(len(prompts)):
                        yield sse({**head, "choices": [{"index": i, "delta": {"role": "assistant", "content": ""},
                                                        "finish_reason": None}], **extra})
                pending = {i: st.deltas(r) for i, (st, r) in enumerate(zip(streams, requests))}
                tasks.update({asyncio.ensure_future(anext(g)): i for i, g in pending.items()})
                while tasks:
                    done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                    for task in done:
                        i = tasks.pop(task)
                        try:
                            text = task.result()
                        except StopAsyncIteration:
                            choice = ({"index": i, "delta": {}, "finish_reason": streams[i].finish} if kind == "chat"
                                      else {"index": i, "text": "", "finish_reason": streams[i].finish, "logprobs": None})
                            yield sse({**head, "choices": [choice]})
                            continue
                        choice = ({"index": i, "delta": {"content": text}, "finish_reason": None} if kind == "chat"
                                  else {"index": i, "text": text, "finish_reason": None, "logprobs": None})
                        yield sse({**head, "choices": [choice]})
                        tasks[asyncio.ensure_future(anext(pending[i]))] = i
                if include_usage:
                    yield sse({**head, "choices": [], "usage": usage()})
                yield "data: [DONE]\n\n"
            finally:  # the client may have gone: free the slots now
                watcher.cancel()
                for r in requests:
                    r.cancel()
                for task in tasks:
                    task.cancel()
                for s_ in served.values():
                    s_.engine.stop_waiting()

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @app.get("/", response_class=HTMLResponse)
    async def page():
        return HTMLResponse(PAGE.read_text(encoding="utf-8"))

    @app.get("/health")
    async def health():
        return {"status": "ok", "models": list(served)}

    @app.get("/v1/models")
    async def models():
        return {"object": "list", "data": [s.card() for s in served.values()]}

    def common(body: dict, s: Served):
        f = check_max_tokens(s, sampling_fields(body, s))
        n = number(body, "n", 1, kind=int, low=1, high=MAX_N)
        streaming = body.get("stream", False)
        if not isinstance(streaming, bool):
            raise ApiError(400, "'stream' must be true or false.", "stream")
        options = body.get("stream_options") or {}
        include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
        return f, n, streaming, stop_strings(body), include_usage

    @app.post("/v1/chat/completions")
    async def chat_completions(http: HttpRequest):
        body = await read_body(http)
        s = model_of(body)
        if not s.chat:
            raise ApiError(400, f"The model {s.id!r} was pre-trained only, not fine-tuned on dialogues: it continues "
                                "text, so use /v1/completions.", "model", "not_a_chat_model")
        f, n, streaming, stops, include_usage = common(body, s)
        ids, dropped = chat_ids(s, body.get("messages"), f["max_tokens"] or 1)
        fill_max_tokens(s, f, len(ids))
        extra = {"minisora": {"dropped_turns": dropped, "note": "the conversation was longer than the context; "
                              "its oldest turns were left out"}} if dropped else {}
        return await respond(http, s, [ids] * n, f, stops, streaming, include_usage, "chat", extra)

    @app.post("/v1/completions")
    async def completions(http: HttpRequest):
        body = await read_body(http)
        s = model_of(body)
        if s.chat:
            raise ApiError(400, f"The model {s.id!r} is fine-tuned on dialogues: use /v1/chat/completions.",
                           "model", "chat_model")
        prompt = body.get("prompt", "")
        if not isinstance(prompt, str):
            raise ApiError(400, "'prompt' must be a string.", "prompt")
        f, n, streaming, stops, include_usage = common(body, s)
        ids = chat.tokenizer_of(s.run).encode(prompt)
        fill_max_tokens(s, f, len(ids))
        room = s.engine.room(f["max_tokens"])
        if len(ids) > room:
            raise ApiError(400, f"The prompt has {len(ids)} tokens; with max_tokens={f['max_tokens']} at most {room} "
                                f"fit in the context of {s.run.config.max_len}.", "prompt", "context_length_exceeded")
        return await respond(http, s, [ids] * n, f, stops, streaming, include_usage, "completion", {})

    return app


def serve(run_dirs, *, host: str = "127.0.0.1", port: int = 8000, slots: int = 8, api_key: str | None = None,
          say=print) -> None:
    """Load, compile, and serve until Ctrl-C."""
    try:
        import uvicorn
    except ImportError:
        raise UserError("Serving needs FastAPI and uvicorn: pip install -e \".[serve]\".") from None
    served = serve_runs(run_dirs, slots=slots, say=say)
    app = create_app(served, api_key=api_key)
    say(f"serving {', '.join(served)} on http://{host}:{port}/ (the chat page) and http://{host}:{port}/v1 "
        "(OpenAI API); Ctrl-C stops")
    uvicorn.run(app, host=host, port=port, log_level="warning")

