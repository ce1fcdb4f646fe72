"""Tools on top of the core (the core never imports these).

    bench.py     ``minisora bench``: tokens/s and MFU of training, tokens/s of decoding
    flops.py     model FLOPs, FLOPs counted from a program, device peaks
    compare.py   ``minisora compare``: Sora vs ChatGPT trained alike
    measure.py   what compare measures on a trained model
    report.py    verdicts over seeds, figures, report.md
    metrics.py   exact match, token F1, distinct-n, repetition
    hf.py        Hugging Face GPT-2 / BERT folders -> minisora runs
"""
