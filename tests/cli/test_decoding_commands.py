"""`minisora finetune`, `generate` and `chat` as a newcomer meets them (minisora/cli/commands.py):

- finetune measures the held-out loss on the validation.jsonl beside a train.jsonl (the layout
  data/dialogues/ ships), or on --validation FILE, else on the last 10 %; it says which, and
  prints each held-out loss as it is computed;
- one set of sampling defaults: `minisora chat`'s first answer, `minisora generate` and
  ``minisora.load(run).generate(q)`` are the same text (greedy);
- --prompt-file, the notice for an empty prompt, the missing-file sentence.

The runs: a small ChatGPT with random weights (``write_run``), fine-tuned 2 steps by the CLI.
"""

import contextlib
import io
import json
import re

import pytest

import minisora
from minisora import nn
from minisora.cli import main
from minisora.config import ModelConfig
from minisora.inference import sampling

PAIRS = [(f"who sat on the {w}?", f"the {a} sat on the {w}.") for w, a in [("mat", "cat"), ("log", "dog")]]
QUESTION = "who sat on the mat?"


def _jsonl(path, pairs):
    path.write_text("".join(json.dumps({"question": q, "answer": a}) + "\n" for q, a in pairs))
    return path


def _finetune(base, dialogues, out, *extra):
    argv = ["finetune", "--from", str(base), "--dialogues", str(dialogues), "--out", str(out), "--steps", "2",
            "--batch-size", "2", "--eval-every", "1", "--eval-batches", "1", "--checkpoint-every", "2", *extra]
    with contextlib.redirect_stdout(io.StringIO()) as stdout:
        assert main(argv) == 0
    return stdout.getvalue()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """base: random weights, context 128 (room for the default 100 new tokens); chat: base fine-tuned
    on data/train.jsonl, beside which lies data/validation.jsonl."""
    from minisora.tokenizer import train_tokenizer
    from minisora.training.rundir import write_run

    root = tmp_path_factory.mktemp("runs")
    text = " ".join(q + " " + a for q, a in PAIRS) * 20
    tok = train_tokenizer([text], root / "tok", vocab_size=300, model_type="char", from_text=True)
    cfg = ModelConfig(family="gpt", vocab_size=tok.vocab_size, d_model=16, n_heads=2, n_layers=1, d_ff=32, max_len=128)
    write_run(root / "base", nn.create(cfg, seed=0), cfg, data={}, tokenizer=tok)
    (root / "data").mkdir()
    train = _jsonl(root / "data" / "train.jsonl", PAIRS * 6)
    _jsonl(root / "data" / "validation.jsonl", PAIRS[:1] * 3)
    said = _finetune(root / "base", train, root / "chat")
    return root, said


def _cli(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


# --- finetune: which split is held out ------------------------------------------------------


def test_finetune_holds_out_the_validation_file_beside_train_jsonl(runs):
    root, said = runs
    validation = root / "data" / "validation.jsonl"
    assert f"on 12 dialogues of {root / 'data' / 'train.jsonl'}; held out: the 3 dialogues of {validation}" in said
    assert json.loads((root / "chat" / "config.json").read_text())["data"]["validation"] == str(validation)
    # every evaluation is printed when it is computed, with the numbers metrics.jsonl holds
    evals = [m for m in map(json.loads, (root / "chat" / "metrics.jsonl").read_text().splitlines()) if "val_loss" in m]
    assert [m["step"] for m in evals] == [1, 2]
    for m in evals:
        assert f"step {m['step']}: held-out loss {m['val_loss']:.3f} nats/token" in said
    assert re.search(rf"held-out loss [\d.]+ nats/token on the 3 dialogues of {re.escape(str(validation))}", said)


def test_finetune_without_a_validation_file_holds_out_the_last_tenth(runs, tmp_path):
    root, _ = runs
    dialogues = _jsonl(tmp_path / "qa.jsonl", PAIRS * 6)  # not named train.jsonl: nothing beside it is used
    said = _finetune(root / "base", dialogues, tmp_path / "out")
    assert f"on 11 dialogues of {dialogues}; held out: the last 1 dialogue (10 %) of {dialogues}" in said
    assert "validation" not in json.loads((tmp_path / "out" / "config.json").read_text())["data"]


def test_finetune_validation_flag_and_its_missing_file(runs, tmp_path, capsys):
    root, _ = runs
    code, out, err = _cli(["finetune", "--from", str(root / "base"), "--dialogues", str(root / "data" / "train.jsonl"),
                           "--validation", str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "out")], capsys)
    assert code == 2 and out == "" and err.count("\n") == 1 and "none.jsonl" in err
    assert not (tmp_path / "out").exists()


# --- one set of sampling defaults ---------------------------------------------------------------


def test_chat_generate_and_load_generate_give_one_answer(runs, capsys, monkeypatch):
    root, _ = runs
    run = minisora.load(root / "chat")
    answer = run.generate(QUESTION)  # the library's defaults
    assert answer == run.generate(QUESTION, temperature=0.0, max_new_tokens=sampling.DEFAULT_MAX_NEW_TOKENS)
    assert answer != run.generate(QUESTION, temperature=1.0)  # so sampling would show here

    monkeypatch.setattr("sys.stdin", io.StringIO(f"{QUESTION}\n/quit\n"))
    code, out, _ = _cli(["chat", "--run", str(root / "chat")], capsys)
    assert code == 0
    reply = out.split("bot> ", 1)[1].split("you> ", 1)[0]
    blank_capped = re.sub("\n{3,}", "\n\n", re.sub(r"\n[^\S\n]*(?=\n)", "\n", answer))  # chat's view (test_chat.py)
    assert reply == blank_capped + "\n"

    code, out, err = _cli(["generate", "--run", str(root / "chat"), "--prompt", QUESTION], capsys)
    assert code == 0 and out == answer + "\n" and err == ""


# --- prompts --------------------------------------------------------------------------------------


def test_prompt_file_is_the_prompt(runs, tmp_path, capsys):
    root, _ = runs
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("the cat sat\n\n")  # trailing newlines dropped, as "$(cat prompt.txt)" does
    code, from_file, err = _cli(["generate", "--run", str(root / "base"), "--prompt-file", str(prompt)], capsys)
    assert code == 0 and err == ""
    code, from_flag, _ = _cli(["generate", "--run", str(root / "base"), "--prompt", "the cat sat"], capsys)
    assert from_file == from_flag and from_file.startswith("the cat sat")
    code, from_nothing, _ = _cli(["generate", "--run", str(root / "base")], capsys)
    assert from_nothing != from_file


def test_a_missing_prompt_file_is_one_sentence(runs, tmp_path, capsys):
    root, _ = runs
    code, out, err = _cli(["generate", "--run", str(root / "base"), "--prompt-file", str(tmp_path / "prompt.txt")],
                          capsys)
    assert code == 2 and out == ""
    assert err.startswith("minisora: error: ") and err.count("\n") == 1 and "prompt.txt" in err


def test_an_empty_prompt_gets_a_notice(runs, capsys):
    root, _ = runs
    code, out, err = _cli(["generate", "--run", str(root / "base"), "--prompt", ""], capsys)
    assert code == 0 and out.strip()
    assert err.count("\n") == 1 and "prompt is empty" in err and "--prompt-file" in err
    code, _, err = _cli(["generate", "--run", str(root / "chat")], capsys)  # a fine-tuned run: an empty question
    assert code == 0 and err.count("\n") == 1 and "empty question" in err


def test_top_k_without_a_temperature_gets_a_notice(runs, capsys):
    root, _ = runs
    code, greedy_k, err = _cli(["generate", "--run", str(root / "base"), "--prompt", "the", "--top-k", "5"], capsys)
    assert code == 0 and err.count("\n") == 1 and "greedy" in err
    code, greedy, _ = _cli(["generate", "--run", str(root / "base"), "--prompt", "the"], capsys)
    assert greedy_k == greedy  # as the notice says: top-k changed nothing
    code, _, err = _cli(["generate", "--run", str(root / "base"), "--prompt", "the", "--top-k", "5",
                         "--temperature", "0.8"], capsys)
    assert code == 0 and err == ""


def test_a_bad_flag_comes_before_any_notice(runs, capsys):
    root, _ = runs
    code, out, err = _cli(["generate", "--run", str(root / "base"), "--max-new-tokens", "300"], capsys)  # context 128
    assert code == 2 and out == "" and err.count("\n") == 1 and "--context" in err


def test_greedy_samples_are_one_text_and_say_so(runs, capsys):
    root, _ = runs
    code, out, err = _cli(["generate", "--run", str(root / "base"), "--prompt", "the", "--num-samples", "2"], capsys)
    assert code == 0 and err.count("\n") == 1 and "same text" in err
    first, second = out.split("--- sample 2 ---\n")
    assert first.split("--- sample 1 ---\n")[1] == second


# --- chat with a run that was only pre-trained ----------------------------------------------------


def _chat_transcript(run_dir, monkeypatch):
    """`minisora chat --run RUN` on one question, stdout and stderr in the one order a terminal shows them."""
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{QUESTION}\n/quit\n"))
    seen = io.StringIO()
    with contextlib.redirect_stdout(seen), contextlib.redirect_stderr(seen):
        assert main(["chat", "--run", str(run_dir)]) == 0
    return seen.getvalue()


def test_chat_with_a_pretrained_run_says_so_before_the_first_prompt(runs, monkeypatch):
    root, _ = runs
    seen = _chat_transcript(root / "base", monkeypatch)
    notices = [line for line in seen.splitlines() if line.startswith("minisora: ")]
    assert len(notices) == 1, seen  # one sentence
    notice = notices[0]
    assert "never fine-tuned on dialogues" in notice and "never taught to answer" in notice
    assert f"minisora finetune --from {root / 'base'} " in notice
    assert seen.index(notice) < seen.index("you> ")  # said before the first prompt
    assert "bot> " in seen  # and the conversation goes on


def test_chat_with_a_finetuned_run_has_no_notice(runs, monkeypatch):
    root, _ = runs
    seen = _chat_transcript(root / "chat", monkeypatch)
    assert "minisora: " not in seen and "bot> " in seen
