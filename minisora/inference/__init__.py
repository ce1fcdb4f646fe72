"""Inference: a trained run in, text out.

    sampling.py   greedy / temperature / top-k / top-p as pure functions of the logits
    decode.py     ids in, ids out: prefill, then one ``lax.scan`` of steps, for both models
    chat.py       text in, text out: chat prompts, dialogue history, streamed printing
    run.py        ``load(RUN_DIR)``: a run directory as one object
"""
