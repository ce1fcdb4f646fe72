"""Training: batches in, a trained run directory out.

    batches.py     token ids -> fixed-shape batches (MLM 80/10/10, next-token, dialogue)
    losses.py      the article's loss formulas, each as its equation
    optim.py       sgd / momentum / AdamW and the warm-up + cosine schedule
    step.py        the jit-compiled train and eval steps
    loop.py        the one training loop (logging, evaluation, checkpoints, or none of them)
    checkpoint.py  orbax checkpoints, exact resume, runs written before the naming change
    rundir.py      a run directory's files: config.json, tokenizer/, checkpoints/
    log.py         metrics.jsonl, the loss plot, the progress bar
    profile.py     a jax.profiler trace of a few steps
    jobs.py        pretrain(...) and finetune(...): files in, a run out
"""
