"""The README's main job, `minisora demo`, runs end to end (quick mode) and leaves usable runs."""

import json
import subprocess
import sys

import minisora


def test_demo_quick_runs_the_whole_pipeline(tmp_path):
    out = tmp_path / "demo"
    r = subprocess.run([sys.executable, "-m", "minisora.cli", "demo", "--quick", "--out", str(out)],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    for stage in ("tokenizer train", "pretrain --model gpt", "pretrain --model sora", "finetune", "generate"):
        assert f"$ minisora {stage}" in r.stdout
    for name in ("gpt", "sora", "gpt-chat", "sora-chat"):
        run = minisora.load(out / name)
        assert run.step > 0 and run.tokenizer is not None
    assert "我的账户为什么不能登录？" in r.stdout
    # the loss curves are drawn and named at the end, Sora's two losses reported apart, then the next lesson
    for name in ("gpt", "sora", "gpt-chat", "sora-chat"):
        assert (out / name / "loss.png").stat().st_size > 5000 and str(out / name / "loss.png") in r.stdout
    sora_evals = [m for m in map(json.loads, (out / "sora" / "metrics.jsonl").read_text().splitlines())
                  if "val_loss" in m]
    for m in sora_evals:  # every evaluation printed with its two losses, each under its own name, never summed
        assert (f"step {m['step']}: held-out next-token loss {m['val_next_loss']:.3f} nats/token "
                f"(perplexity {m['val_ppl']:.1f}), {m['val_bpb']:.3f} bits/byte; masked-token loss "
                f"{m['val_mlm_loss']:.3f} nats/token (perplexity {m['val_mlm_ppl']:.1f})") in r.stdout
        assert f"loss {m['val_loss']:.3f}" not in r.stdout  # their sum
    gpt_last = [m for m in map(json.loads, (out / "gpt" / "metrics.jsonl").read_text().splitlines()) if "val_loss" in m][-1]
    assert f"ChatGPT, the last 10 % of the corpus: held-out loss {gpt_last['val_next_loss']:.3f} nats/token" in r.stdout
    assert r.stdout.rstrip().splitlines()[-1].startswith("Next: open tutorials/01_tokenization.py")


def test_demo_refuses_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    r = subprocess.run([sys.executable, "-m", "minisora.cli", "demo", "--quick", "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "not made by the demo" in r.stderr
    assert (tmp_path / "precious.txt").read_text() == "keep me"
