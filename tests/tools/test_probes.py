"""The probes of minisora/tools/probes.py on cases whose answer is known: scripted fake models
(one copies the fact, one ignores the context), a teacher-forced score computed directly from
tiny models' logits, claims checked against Python's arithmetic and the weekday order, costs
worked out by hand, and the shipped data's own structure."""

import json
import math
import re
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from minisora import datasets, nn
from minisora.config import ModelConfig
from minisora.tokenizer import BOS_ID, train_tokenizer
from minisora.tools import measure, probes


@pytest.fixture(scope="module")
def groups():
    return probes.load_recall()


@pytest.fixture(scope="module")
def corpus():
    return datasets.read_text(datasets.SHIPPED_CORPUS)


# --- recall: the shipped items ------------------------------------------------------------------


def test_recall_file_is_the_generators_and_deterministic(groups, corpus):
    sys.path.insert(0, str(datasets.DATA_DIR))
    try:
        import generate
    finally:
        sys.path.remove(str(datasets.DATA_DIR))
    import random

    again = [generate.make_recall_probe(random.Random(generate.SEED + 3), corpus) for _ in range(2)]
    assert again[0] == again[1] == groups
    assert probes.recall_items(groups) == probes.recall_items(probes.load_recall())
    assert {g["lang"] for g in groups} == {"en", "zh"} and len(groups) == 24
    assert all(len(g["filler"]) >= max(probes.DISTANCES) for g in groups)


def test_recall_paragraphs_and_facts_are_held_out_from_training(groups, corpus):
    """No probe paragraph is in the corpus, and no fact in it is about a probe name: an English
    name is one the corpus writes only in newcomer paragraphs (never a world person's, never a
    word), a Chinese name one it never writes."""
    sys.path.insert(0, str(datasets.DATA_DIR))
    try:
        import generate
    finally:
        sys.path.remove(str(datasets.DATA_DIR))
    world = {p.en.split()[0] for p in generate.en_people()}
    paragraphs = corpus.split("\n\n")
    lower = set(re.findall(r"\b[a-z][a-z']*", corpus))
    names = [n for g in groups for n in g["names"]]
    assert len(names) == len(set(names)) == 24 * 4  # every name once in the whole probe
    for g in groups:
        for n in g["names"]:
            assert g["fact"].replace("{name}", n) not in corpus
            if g["lang"] == "en":
                assert n not in world and n.lower() not in lower and n in generate.newcomer_names()[g["gender"]], n
                newcomer = re.compile(rf"({n} [A-Z]\w+ (is|works as) an? |A new [^:]+: (his|her) name is {n} )")
                for paragraph in (p for p in paragraphs if n in p and re.search(rf"\b{n}\b", p)):
                    assert newcomer.match(paragraph), paragraph  # only ever introduced as somebody new
            else:
                assert n not in corpus, n


def test_the_answer_depends_on_the_fact_and_only_on_it(groups):
    items = probes.recall_items(groups, distances=(0, 3, 8))
    by_key = {(it["group"], it["distance"], it["answer"]): it for it in items}
    for it in items:
        g = groups[it["group"]]
        right = g["names"][it["answer"]]
        assert it["candidates"][it["answer"]].strip() == right
        for j, other in enumerate(g["names"]):
            if j != it["answer"]:
                assert other not in it["context"]  # a wrong name is never in the context
                swapped = it["context"].replace(right, other)  # swap the fact: the answer follows it
                assert swapped == by_key[(it["group"], it["distance"], j)]["context"]
    # the right name is written once, in the first sentence, d sentences before the question
    it = by_key[(0, 8, 2)]
    assert it["context"].count(groups[0]["names"][2]) == 1 and it["context"].startswith(groups[0]["names"][2])
    assert it["context"].endswith(groups[0]["query"]) and groups[0]["query"].startswith("In ")


def _copy_fact(item):
    """A fake model that reads the fact: high likelihood for the candidate the context names."""
    return [0.0 if c.strip() in item["context"] else -5.0 for c in item["candidates"]]


def test_a_model_that_copies_the_fact_scores_one(groups):
    items = probes.recall_items(groups)
    out = probes.recall_scores(items, [_copy_fact(it) for it in items])
    assert out["distance"] == list(probes.DISTANCES)
    assert out["accuracy"] == [1.0] * len(probes.DISTANCES) and out["margin"] == [5.0] * len(probes.DISTANCES)
    assert out["chance"] == 0.25 and out["n"] == [24 * 4] * len(probes.DISTANCES)
    assert out["accuracy_by_lang"] == {"en": [1.0] * 5, "zh": [1.0] * 5}


@pytest.mark.parametrize("guess", [
    lambda c: -len(c),  # prefers short names
    lambda c: float(sum(map(ord, c)) % 7),  # an arbitrary fixed preference, with ties
    lambda c: 0.0,  # no preference at all: a tie shares the point
])
def test_a_model_that_ignores_the_context_scores_chance_exactly(groups, guess):
    items = probes.recall_items(groups)
    out = probes.recall_scores(items, [[guess(c) for c in it["candidates"]] for it in items])
    assert out["accuracy"] == pytest.approx([0.25] * len(probes.DISTANCES))


def test_accuracy_separates_distances():
    """A fake that recalls only up to two sentences back and guesses beyond: 1 then 1/4."""
    groups = [{"group": g, "lang": "en", "fact": "{name} Oakwood is a baker.", "names": ["Ana", "Bo", "Cy", "Di"],
               "candidates": [" Ana", " Bo", " Cy", " Di"], "filler": [f"She sings song {i}." for i in range(8)],
               "query": "In her free time"} for g in range(3)]
    items = probes.recall_items(groups)
    scores = [_copy_fact(it) if it["distance"] <= 2 else [0.0, -1.0, -2.0, -3.0] for it in items]
    out = probes.recall_scores(items, scores)
    assert out["accuracy"] == [1.0, 1.0, 1.0, 0.25, 0.25]
    assert out["margin"][:3] == [5.0] * 3 and out["margin"][3] == pytest.approx((1 - 1 - 2 - 3) / 4)


# --- recall: the likelihoods of real (tiny) models ---------------------------------------------------


@pytest.fixture(scope="module")
def char_tok():
    text = "Ana Bo Cyd Di is a baker. She sings. In her free time Ana reads. abcdefghijklmnopqrstuvwxyz "
    return train_tokenizer([text * 4], vocab_size=200, model_type="char", from_text=True)


def _tiny(family, vocab_size, max_len=48):
    cfg = ModelConfig(family=family, vocab_size=vocab_size, d_model=16, n_heads=2, n_layers=1, d_ff=32,
                      max_len=max_len, d_lstm=16)
    return nn.create(cfg, seed=5)


@nnx.jit
def _forward(model, ctx, cand):
    """Logits (1, C, V) that predict ``cand`` after ``ctx``: one unpadded teacher-forced pass."""
    if model.config.family == "gpt":
        return model(jnp.concatenate([ctx, cand], axis=1))[:, ctx.shape[1] - 1 : -1]
    dec_in = jnp.concatenate([jnp.full((1, 1), BOS_ID, jnp.int32), cand[:, :-1]], axis=1)
    return model(ctx, jnp.ones_like(ctx), dec_in)[1]


def _direct_logprob(model, tok, context, candidate):
    """Σ_t log p(candidate token t | context, earlier candidate tokens), straight from the logits."""
    ctx, cand = jnp.asarray([tok.encode(context)]), jnp.asarray([tok.encode(candidate)])
    logp = jax.nn.log_softmax(_forward(model, ctx, cand), axis=-1)
    return float(jnp.take_along_axis(logp, cand[..., None], axis=-1).sum())


@pytest.mark.parametrize("family", ["gpt", "sora"])
def test_candidate_logprobs_equal_direct_teacher_forcing(char_tok, family):
    """Contexts of different lengths (left padding), candidates of 3 and 4 tokens (grouped by
    length), batches of 2 rows (the last chunk of a length padded with a repeated row): each score
    must equal the unpadded forward pass of that context and candidate alone."""
    model = _tiny(family, char_tok.vocab_size)
    items = [{"context": "Ana Bo is a baker. In her free time", "candidates": [" Ana", " Bo", " Cyd"], "answer": 0},
             {"context": "Cyd is a baker. She sings.", "candidates": [" Ana", " Cyd"], "answer": 1}]
    got = probes.candidate_logprobs(model, char_tok, items, batch_size=2)
    assert got.shape == (2, 3) and got[1, 2] == -np.inf  # the second item has two candidates
    for i, it in enumerate(items):
        for k, c in enumerate(it["candidates"]):
            assert got[i, k] == pytest.approx(_direct_logprob(model, char_tok, it["context"], c), rel=1e-4, abs=1e-4)


def test_row_losses_are_the_context_sets_losses(char_tok):
    """The per-row loss reuses measure.py's: the same numbers as a ContextSet of one prompt length."""
    model = _tiny("gpt", char_tok.vocab_size)
    windows = np.random.default_rng(0).integers(9, char_tok.vocab_size, (3, 12)).astype(np.int32)
    rows = measure.ContextSet.build(windows, [8], 4)
    per_row = probes.row_losses(model, rows.prompt, rows.mask, rows.cont)
    assert per_row.shape == (3,) and np.mean(per_row) == pytest.approx(rows.losses(model)[0], rel=1e-5)


def test_recall_probe_drops_whole_blocks_that_do_not_fit(char_tok, family="gpt"):
    groups = [{"group": g, "lang": "en", "fact": "{name} is a baker.", "names": ["Ana", "Bo", "Cyd", "Di"],
               "candidates": [" Ana", " Bo", " Cyd", " Di"], "filler": ["She sings."] * 8, "query": "In her free time"}
              for g in range(2)]
    items = probes.recall_items(groups, distances=(0, 1, 4))
    model = _tiny(family, char_tok.vocab_size, max_len=64)
    out = probes.recall_probe(model, char_tok, items, max_prompt=40)  # d = 0 (32 chars) fits, d = 1 (43) not
    assert out["distance"] == [0] and out["n"] == [8] and out["dropped"] == 16 and out["chance"] == 0.25
    assert out["prompt_tokens"] == [pytest.approx(np.mean([len(it["context"]) for it in items[:4]]))]
    assert 0.0 <= out["accuracy"][0] <= 1.0 and math.isfinite(out["margin"][0])
    default = probes.recall_probe(model, char_tok, items)  # the position table allows d = 1 too
    assert default["distance"] == [0, 1] and default["max_prompt"] == 64 - (4 if family == "gpt" else 0)


# --- coherence ---------------------------------------------------------------------------------------


def test_claims_are_checked_by_arithmetic_and_the_calendar():
    out = probes.coherence(["3 plus 4 is 7. 5 times 6 is 31.", "The day after Sunday is Monday.",
                            "If today is Friday, then in 3 days it will be Sunday.", "July has 31 days."], facts={})
    assert (out["claims"], out["checked"], out["wrong"], out["inconsistent"]) == (5, 5, 2, 0)  # 31 and Sunday
    assert out["contradiction_rate"] == pytest.approx(2 / 5)
    zh = probes.coherence(["7加5等于12。七加五等于十三。", "星期日的后一天是星期一。如果今天是星期五，那么两天后是星期一。",
                           "二月有二十八天，闰年有二十九天。十二月有三十天。"], facts={})
    assert (zh["claims"], zh["wrong"]) == (6, 3)  # 十三, 星期一 (two days after Friday is Sunday), 三十


def test_world_claims_against_the_corpus_facts_and_within_a_sample():
    facts = probes.facts_from_text("Abermouth lies on the Fenwater. Evara Kingswell, who is 45, works as a baker. "
                                   "Abermouth lies on the Fenwater.")
    assert facts == {("river", "Abermouth"): "the Fenwater", ("age", "Evara Kingswell"): 45}
    consistent = probes.coherence(["Abermouth lies on the Fenwater. Evara Kingswell, who is 45, is older."], facts)
    assert (consistent["claims"], consistent["wrong"], consistent["contradiction_rate"]) == (2, 0, 0.0)
    wrong = probes.coherence(["Abermouth lies on the Brenwy."], facts)
    assert (wrong["claims"], wrong["wrong"]) == (1, 1)
    # a person the corpus never mentions: only the sample itself can be contradicted
    made_up = probes.coherence(["Xyla Quorn, who is 30, sings. Xyla Quorn, who is 41, dances. Xyla is 30 years old."],
                               facts)
    assert (made_up["claims"], made_up["checked"], made_up["wrong"], made_up["inconsistent"]) == (3, 0, 0, 1)
    assert made_up["contradiction_rate"] == pytest.approx(1 / 3)


def test_what_is_not_a_claim():
    difference = "The Zenix Max 5 costs 15 dollars less than the Zenix Pro 2."
    none = probes.coherence(["3 plus 4 is 1", "She is 30 years old.", difference, "It lies on the Brenwy."], facts={})
    assert none["claims"] == 0 and math.isnan(none["contradiction_rate"])  # cut off, pronouns, a difference


def test_a_prompts_claims_are_context_and_a_completion_counts():
    out = probes.coherence([" 9.", " Then 2 plus 2 is 4."], facts={}, prompts=["So 3 plus 4 is", "1 plus 1 is 3."])
    assert (out["claims"], out["wrong"]) == (2, 1)  # "3 plus 4 is 9." is the sample's; "1 plus 1 is 3." is not
    inconsistent = probes.coherence([" Later, Xyla Quorn, who is 41, left."], {}, ["Xyla Quorn, who is 30, came."])
    assert (inconsistent["claims"], inconsistent["inconsistent"]) == (1, 1)


def test_repetition_by_hand():
    # "a b c a b c": 3-grams abc bca cab abc -> one of four repeats
    assert probes.coherence(["a b c a b c"], {})["repeated_3"] == pytest.approx(1 / 4)


def test_the_corpus_contradicts_nothing(corpus):
    """The extractor reads the generator's templates right: thousands of claims of every kind in the
    corpus, every sum and weekday true, every world fact stated with one value."""
    found = probes.claims(corpus)
    kinds = {key[0] for _, key, _ in found}
    assert kinds == {"arith", "weekday", "month_after", "month_number", "month_days", "river", "people", "age",
                     "grams", "price"}
    assert len(found) > 2500
    for _, key, value in found:
        if key[0] in probes.RULE_KINDS:
            assert probes.rule_truth(key) == value, key
    facts = probes.facts_from_text(corpus)
    world = [c for c in found if c[1][0] not in probes.RULE_KINDS]
    assert len(facts) == len({key for _, key, _ in world}) > 700  # no key dropped for two values
    paragraphs = corpus.split("\n\n")[:800]
    assert probes.coherence(paragraphs, facts)["contradiction_rate"] == 0.0


def test_generation_probe_on_a_tiny_model(char_tok):
    model = _tiny("gpt", char_tok.vocab_size)
    prompts = [char_tok.encode("Ana is"), char_tok.encode("3 plus 4 is")]
    out = probes.generation_probe(model, char_tok, prompts, {}, new_tokens=6, temperature=1.0, seed=0)
    assert len(out["samples"]) == 2 and all(isinstance(s, str) for s in out["samples"])
    assert out["coherence"]["n_samples"] == 2 and set(out["diversity"]) == {"distinct_1", "distinct_2", "self_bleu"}
    again = probes.sample_texts(model, char_tok, prompts, new_tokens=6, temperature=1.0, seed=0)
    assert again == out["samples"]  # one seed, one set of samples


# --- diversity at equal held-out loss -------------------------------------------------------------


def test_equal_loss_point_picks_the_lowest_common_loss():
    a = [(100, 6.0), (200, 5.0), (300, 4.6)]
    b = [(100, 5.5), (200, 4.98), (300, 4.2)]
    p = probes.equal_loss_point(a, b, tolerance=0.02)
    assert p["found"] and (p["i"], p["j"], p["step_a"], p["step_b"]) == (1, 1, 200, 200)
    p = probes.equal_loss_point(a, b, tolerance=0.10)  # now 4.6 vs 4.2 (8.7 %) qualifies and is lower
    assert (p["i"], p["j"], p["loss_a"], p["loss_b"]) == (2, 2, 4.6, 4.2)


def test_equal_loss_point_says_when_there_is_none():
    apart = probes.equal_loss_point([(1, 6.0), (2, 5.5)], [(1, 5.0), (2, 4.0)])
    assert not apart["found"] and "do not overlap" in apart["reason"] and "5.500" in apart["reason"]
    interleaved = probes.equal_loss_point([(1, 6.0), (2, 4.0)], [(1, 5.0), (2, 3.0)])
    assert not interleaved["found"] and "closest differ by 16.7%" in interleaved["reason"]


def test_diversity_scores_of_repeated_and_varied_samples():
    same = probes.diversity_scores(["a b c d e"] * 3)
    assert same["self_bleu"] == pytest.approx(1.0) and same["distinct_1"] == pytest.approx(5 / 15)
    varied = probes.diversity_scores(["a b c d", "e f g h", "i j k l"])
    assert varied["self_bleu"] == 0.0 and varied["distinct_2"] == 1.0


# --- compute for a quality -----------------------------------------------------------------------


RECORDS = [  # a run's metrics.jsonl: log lines every 10 steps, evaluations at 20 and 40 (Sora's: two losses)
    {"step": 10, "loss": 9.0, "tokens_per_s": 1000.0},
    {"step": 20, "loss": 8.0, "tokens_per_s": 2000.0},
    {"step": 20, "val_next_loss": 5.0, "val_mlm_loss": 2.0, "val_loss": 7.0, "val_ppl": 148.4},
    {"step": 40, "loss": 7.0, "tokens_per_s": 1000.0},
    {"step": 40, "val_next_loss": 4.0, "val_mlm_loss": 2.0, "val_loss": 6.0, "val_ppl": 54.6},
]


def test_curve_and_seconds_from_metrics_records():
    assert probes.eval_curve(RECORDS) == [(20, 5.0), (40, 4.0)]  # next-token loss, not Sora's sum
    assert probes.eval_curve([{"step": 5, "val_loss": 3.0}]) == [(5, 3.0)]  # older runs
    # 100 tokens a step: 10 steps at 1000 tok/s = 1 s, 10 at 2000 = 0.5 s, 20 at 1000 = 2 s
    assert probes.training_seconds(RECORDS, 100) == [(10, 1.0), (20, 1.5), (40, 3.5)]


def test_cost_to_reach_by_hand():
    curve, timeline = probes.eval_curve(RECORDS), probes.training_seconds(RECORDS, 100)
    c = probes.cost_to_reach(curve, 4.5, tokens_per_step=100, flops_per_token=6e6, timeline=timeline)
    # 4.5 is halfway from 5.0 (step 20) to 4.0 (step 40): step 30, 3000 tokens, 1.5 s + half of 2 s
    assert c["step"] == 30 and c["tokens"] == 3000 and c["flops"] == 3000 * 6e6
    assert c["seconds"] == pytest.approx(2.5) and c["bracket"] == (20, 40) and not c["at_first_eval"]
    first = probes.cost_to_reach(curve, 6.0, tokens_per_step=100, flops_per_token=1.0)
    assert first["step"] == 20 and first["at_first_eval"] and first["seconds"] is None
    assert probes.cost_to_reach(curve, 4.0, tokens_per_step=100, flops_per_token=1.0)["step"] == 40
    assert probes.cost_to_reach(curve, 3.9, tokens_per_step=100, flops_per_token=1.0) is None


def test_compute_to_quality_at_the_loss_both_reach():
    runs = {"sora": {"curve": [(10, 6.0), (20, 5.0)], "tokens_per_step": 100, "flops_per_token": 2e6},
            "gpt": {"curve": [(10, 5.5), (20, 4.5)], "tokens_per_step": 100, "flops_per_token": 3e6,
                    "timeline": [(10, 1.0), (20, 2.0)]}}
    out = probes.compute_to_quality(runs)
    assert out["target"] == 5.0 and out["flops_per_token"] == {"sora": 2e6, "gpt": 3e6}
    assert out["to_target"]["sora"]["step"] == 20 and out["to_target"]["sora"]["flops"] == 2000 * 2e6
    assert out["to_target"]["gpt"]["step"] == 15 and out["to_target"]["gpt"]["flops"] == 1500 * 3e6
    assert out["to_target"]["gpt"]["seconds"] == pytest.approx(1.5)
    assert probes.compute_to_quality(runs, target=4.7)["to_target"]["sora"] is None


# --- dialogue: paraphrases apart from unseen answers ----------------------------------------------


def test_dialogue_kinds_by_hand():
    train = [("How do I reset my password?", "Click Forgot password."), ("What is 2 plus 3?", "2 plus 3 is 5.")]
    test = [("I forgot my password.", "Click Forgot password."), ("Can you add 2 and 3?", "2 plus 3 is 5."),
            ("What is 4 plus 4?", "4 plus 4 is 8.")]
    assert probes.dialogue_kinds(train, test) == ["paraphrase", "paraphrase", "unseen"]


def test_shipped_test_split_kinds():
    """Every fixed-answer intent's test question rewords a trained one; an order number is new every time."""
    train = datasets.load_dialogues(datasets.SHIPPED_DIALOGUES["train"])
    test = datasets.load_dialogues(datasets.SHIPPED_DIALOGUES["test"])
    kinds = probes.dialogue_kinds(train, test)
    assert 0.3 < kinds.count("paraphrase") / len(kinds) < 0.7
    for (q, a), kind in zip(test, kinds):
        if a == datasets.ARTICLE_ANSWER or "password" in a or "invoice" in a.lower():
            assert kind == "paraphrase", q
        if re.search(r"order \d{5}|订单\d{5}", a, re.IGNORECASE):
            assert kind == "unseen", q


def test_split_scores_by_hand():
    answers = ["Click Forgot password.", "2 plus 3 is 6.", "4 plus 4 is 8."]
    refs = ["Click Forgot password.", "2 plus 3 is 5.", "4 plus 4 is 8."]
    out = probes.split_scores(answers, refs, ["paraphrase", "paraphrase", "unseen"])
    assert out["paraphrase"] == {"em": 0.5, "f1": pytest.approx((1 + 4 / 5) / 2), "n": 2}
    assert out["unseen"] == {"em": 1.0, "f1": 1.0, "n": 1} and out["all"]["n"] == 3
    assert math.isnan(probes.split_scores(answers, refs, ["paraphrase"] * 3)["unseen"]["em"])


def test_dialogue_split_scores_wires_answers_to_kinds(monkeypatch):
    train = [("q1", "taught answer")]
    test = [("q2", "taught answer"), ("q3", "new answer")]
    monkeypatch.setattr(probes, "answer", lambda model, tok, questions, max_tokens: ["taught answer", "wrong"])
    out = probes.dialogue_split_scores(None, None, test, train, max_tokens=8)
    assert out["paraphrase"]["em"] == 1.0 and out["unseen"]["em"] == 0.0 and out["all"]["em"] == 0.5


def test_recall_file_lines_are_json_objects():
    lines = probes.RECALL_FILE.read_text(encoding="utf-8").splitlines()
    rows = [json.loads(x) for x in lines]
    assert all(set(r) == {"group", "lang", "gender", "fact", "names", "filler", "query", "candidates"} for r in rows)
