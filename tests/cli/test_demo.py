"""The README's main job, `minisora demo`, runs end to end (quick mode) and leaves usable runs."""

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


def test_demo_refuses_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    r = subprocess.run([sys.executable, "-m", "minisora.cli", "demo", "--quick", "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "not made by the demo" in r.stderr
    assert (tmp_path / "precious.txt").read_text() == "keep me"
