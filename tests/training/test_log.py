"""What a run prints and plots: every loss under its own name, Sora's two never summed into one."""

import json
import math
import struct

import pytest

from minisora.training import log

GPT = {"step": 40, "val_next_loss": 3.25, "val_loss": 3.25, "val_ppl": math.exp(3.25), "val_bpb": 1.4567}
SORA = {"step": 40, "val_next_loss": 3.5, "val_mlm_loss": 5.25, "val_loss": 8.75, "val_ppl": math.exp(3.5),
        "val_mlm_ppl": math.exp(5.25), "val_bpb": 1.6}


def test_chatgpt_eval_line_has_its_loss_perplexity_and_bits_per_byte():
    assert log.eval_line(GPT) == "step 40: held-out loss 3.250 nats/token (perplexity 25.8), 1.457 bits/byte"


def test_sora_eval_line_names_its_two_losses_apart():
    line = log.eval_line(SORA)
    assert line == ("step 40: held-out next-token loss 3.500 nats/token (perplexity 33.1), 1.600 bits/byte; "
                    "masked-token loss 5.250 nats/token (perplexity 190.6)")
    assert "8.750" not in line  # their sum is the training objective, not a loss to read


def test_summary_of_an_old_run_without_the_new_fields(tmp_path):
    # metrics.jsonl written before bits per byte and the named losses: still one readable line
    (tmp_path / "metrics.jsonl").write_text(json.dumps({"step": 5, "val_loss": 2.0, "val_ppl": math.exp(2.0)}) + "\n")
    assert log.held_out_summary(tmp_path, "the last 10 %") == (
        f"saved -> {tmp_path}: step 5, held-out loss 2.000 nats/token on the last 10 % (perplexity 7.4)")
    old_sora = {"step": 5, "val_next_loss": 2.0, "val_mlm_loss": 1.0, "val_loss": 3.0, "val_ppl": math.exp(2.0)}
    assert "masked-token loss 1.000 nats/token (perplexity 2.7)" in log.eval_line(old_sora)


def test_progress_bar_losses():
    assert log.bar_losses({"loss": 3.0, "next_loss": 3.0}) == "loss 3.000"
    assert log.bar_losses({"loss": 7.5, "next_loss": 3.0, "mlm_loss": 4.5}) == "next-token 3.000, masked-token 4.500"


def _png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    return struct.unpack(">II", head[16:24])  # IHDR: width, height


@pytest.mark.parametrize("records, panels", [
    ([{"step": 10, "loss": 4.0, "next_loss": 4.0}, {"step": 10, **GPT}], 2),
    ([{"step": 10, "loss": 9.0, "next_loss": 4.0, "mlm_loss": 5.0}, {"step": 10, **SORA}], 2),
    ([{"step": 10, "loss": 4.0}, {"step": 10, "val_loss": 4.5, "val_ppl": 90.0}], 1),  # an old run: no bits per byte
])
def test_loss_plot_has_a_bits_per_byte_panel_when_measured(tmp_path, records, panels):
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    path = log.plot_loss(tmp_path)
    width, height = _png_size(path)
    assert (width, height) == ((900 if panels == 2 else 600), 360)  # 9 × 3.6 or 6 × 3.6 inches at 100 dpi
