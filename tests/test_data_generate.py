"""data/generate.py, the script that writes the shipped data, and what it writes.

Independent references: hashlib over the files on disk (against data/SHA256SUMS), a second
run of the generator in a fresh process, Python's own arithmetic and weekday order for the
facts the text states (sums, journey times, ages, distances stated twice), and SentencePiece
itself for the claim that the corpus supports a large unigram vocabulary.
(The loaders of minisora/datasets.py are tested in tests/test_datasets.py.)
"""

import hashlib
import json
import re
import subprocess
import sys
from collections import Counter

import pytest

from minisora import datasets
from minisora.tokenizer import Tokenizer, train_tokenizer

REPO = datasets.DATA_DIR.parent
GENERATE = datasets.DATA_DIR / "generate.py"
SPLITS = ("train", "validation", "test")
ARTICLE_Q, ARTICLE_A = "我的账户为什么不能登录？", "请确认您的账户信息是否输入正确，或者尝试重置密码。"
LOGIN_EN = ("Why can't I log in to my account?",
            "Please check that your account details are entered correctly, or try resetting your password.")
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
NUMBER_WORDS = {"a": 1, "an": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
TOWN = r"[A-Z][\w']*(?: (?:Town|Village|City))?"  # a made-up town: Abermouth, Qing'an Village
HAN = r"[\u4e00-\u9fff·]+"


def _rows(split):
    lines = datasets.SHIPPED_DIALOGUES[split].read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


@pytest.fixture(scope="module")
def corpus():
    return datasets.read_text(datasets.SHIPPED_CORPUS)


# --- the generator ------------------------------------------------------------------


def test_files_match_sha256sums():
    listed = {}
    for line in (datasets.DATA_DIR / "SHA256SUMS").read_text().splitlines():
        digest, rel = line.split("  ")
        listed[rel] = digest
    assert sorted(listed) == sorted(["corpus.txt", "probes/recall.jsonl"] + [f"dialogues/{s}.jsonl" for s in SPLITS])
    for rel, digest in listed.items():
        assert hashlib.sha256((datasets.DATA_DIR / rel).read_bytes()).hexdigest() == digest, rel


def test_generate_check_passes():
    r = subprocess.run([sys.executable, str(GENERATE), "--check"], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_regenerating_gives_the_same_bytes(tmp_path):
    subprocess.run([sys.executable, str(GENERATE), "--out", str(tmp_path)], cwd=REPO, check=True, capture_output=True)
    for rel in ["corpus.txt", "SHA256SUMS", "probes/recall.jsonl"] + [f"dialogues/{s}.jsonl" for s in SPLITS]:
        assert (tmp_path / rel).read_bytes() == (datasets.DATA_DIR / rel).read_bytes(), rel


@pytest.mark.parametrize("changed", ["dialogues/test.jsonl", "probes/recall.jsonl"])
def test_check_fails_on_a_changed_file(tmp_path, changed):
    subprocess.run([sys.executable, str(GENERATE), "--out", str(tmp_path)], cwd=REPO, check=True, capture_output=True)
    (tmp_path / changed).write_text("{}\n")
    r = subprocess.run([sys.executable, str(GENERATE), "--check", "--out", str(tmp_path)], cwd=REPO,
                       capture_output=True, text=True)
    assert r.returncode != 0 and changed in r.stderr


# --- the corpus -----------------------------------------------------------------------


def test_corpus_size_and_both_languages(corpus):
    size = datasets.SHIPPED_CORPUS.stat().st_size
    assert 600_000 <= size <= 950_000
    cjk = len(re.findall(r"[\u4e00-\u9fff]", corpus))
    words = len(re.findall(r"[A-Za-z]+", corpus))
    assert cjk >= 100_000 and words >= 50_000, (cjk, words)
    assert corpus.endswith("\n") and not corpus.endswith("\n\n")
    paragraphs = corpus[:-1].split("\n\n")  # a blank line between paragraphs, and only there
    assert all(p and p.strip() == p for p in paragraphs)
    assert len(set(paragraphs)) >= 0.9 * len(paragraphs)  # varied, not one paragraph repeated


def test_corpus_arithmetic_is_correct(corpus):
    ops = {"plus": int.__add__, "minus": int.__sub__, "times": int.__mul__,
           "加": int.__add__, "减": int.__sub__, "乘": int.__mul__}
    facts = re.findall(r"\b(\d+) (plus|minus|times) (\d+) is (\d+)\.", corpus)
    facts += re.findall(r"(?<!\d)(\d+)(加|减|乘)(\d+)等于(\d+)。", corpus)
    assert len(facts) > 1000
    for a, op, b, c in facts:
        assert ops[op](int(a), int(b)) == int(c), (a, op, b, c)


def test_corpus_calendar_is_correct(corpus):
    after = re.findall(r"The day after (\w+) is (\w+)\.", corpus)
    later = re.findall(r"If today is (\w+), then in (\d) days it will be (\w+)\.", corpus)
    assert len(after) > 15 and len(later) > 15
    for d, e in after:
        assert DAYS[(DAYS.index(d) + 1) % 7] == e
    for d, k, e in later:
        assert DAYS[(DAYS.index(d) + int(k)) % 7] == e


def test_corpus_never_contains_a_held_out_question(corpus):
    held_out = [r["question"] for s in ("validation", "test") for r in _rows(s)]
    service = [q for q in held_out if not re.search(r"\d", q)]  # arithmetic facts are meant to be there
    assert service
    for q in held_out:
        assert f": {q}\n" not in corpus and f"：{q}\n" not in corpus, q


def test_corpus_is_varied_and_no_sentence_dominates(corpus):
    sentences = [x for x in re.split(r"(?<=[.!?。！？”])\s*|\n", corpus) if len(x) > 3]
    counts = Counter(sentences)
    assert len(counts) >= 0.5 * len(sentences)
    assert counts.most_common(1)[0][1] <= 0.005 * len(sentences), counts.most_common(3)
    assert len(set(re.findall(r"[a-z]+", corpus))) >= 4000  # lower-case English word types
    assert len(set(re.findall(r"[\u4e00-\u9fff]", corpus))) >= 2000  # distinct Chinese characters


def test_corpus_inventories_add_up(corpus):
    rows = re.findall(r"there (?:is|are) ([^.]+)\. That is (\d+) [a-z ]+ in all\.", corpus)
    assert len(rows) > 50
    for items, total in rows:
        counts = [NUMBER_WORDS[item.split()[0]] for item in re.split(r", | and ", items)]
        assert sum(counts) == int(total), (items, total)


def test_corpus_journey_times_follow_from_distance_and_speed(corpus):
    trips = re.findall(r"(\d+) kilometres apart, and an? [a-z -]+ goes about (\d+) kilometres an hour, "
                       r"so the journey took about ((?:\d+ hours?)?(?: and )?(?:\d+ minutes)?)\.", corpus)
    assert len(trips) > 50
    for km, speed, took in trips:
        h = re.search(r"(\d+) hour", took)
        m = re.search(r"(\d+) minutes", took)
        minutes = 60 * int(h.group(1) if h else 0) + int(m.group(1) if m else 0)
        exact = 60 * int(km) / int(speed)
        assert minutes % 5 == 0 and (abs(minutes - exact) <= 2.5 or (minutes == 5 and exact < 5)), (km, speed, took)


def test_corpus_recipe_times_add_up(corpus):
    recipes = re.findall(r"(?:How to make|recipe for) [^.]+\.((?:[^.]+\.)+?) Altogether the cooking takes (\d+) minutes\.",
                         corpus)
    assert len(recipes) > 30
    for steps, total in recipes:
        parts = [int(n) for n in re.findall(r"(\d+) (?:more )?minutes", steps)]
        assert len(parts) == 2 and sum(parts) == int(total), (steps, total)


def test_corpus_made_up_world_is_consistent(corpus):
    """A pair of towns has one distance, a person one age, and comparisons agree with the ages."""
    km = {}
    pairs = re.findall(rf"({TOWN}) is (\d+) kilometres from ({TOWN})\.", corpus)
    pairs += [(a, d, b) for a, b, d in re.findall(rf"from ({TOWN}) to ({TOWN}) by [^.]+\. The two places are (\d+)", corpus)]
    pairs += [(a, d, b) for a, b, d in re.findall(rf"({HAN})离({HAN})有(\d+)公里", corpus)]
    pairs += [(a, d, b) for a, b, d in re.findall(rf"从({HAN})去({HAN})。两地相距(\d+)公里", corpus)]
    for a, d, b in pairs:
        assert km.setdefault(frozenset((a, b)), d) == d, (a, b)
    assert len(km) > 200 and len(pairs) - len(km) > 30  # many pairs are stated more than once

    age = {}
    for name, years in (re.findall(r"([A-Z]\w+ [A-Z]\w+), who is (\d+),", corpus)
                        + re.findall(rf"(?<![\u4e00-\u9fff·])({HAN})今年(\d+)岁", corpus)):
        assert age.setdefault(name, int(years)) == int(years), name
    assert len(age) > 200
    older = re.findall(r", who is (\d+), is (?:(\d+) years )?older than [A-Z]\w+ [A-Z]\w+, who is (\d+)\.", corpus)
    assert len(older) > 20
    for b, diff, a in older:
        assert int(b) > int(a) and (not diff or int(diff) == int(b) - int(a)), (b, diff, a)


def test_corpus_names_newcomers_again_far_from_their_introduction(corpus):
    """Paragraphs that introduce someone the world does not know and write the name again
    sentences later, so that copying a name from far back is a skill the corpus teaches
    (compare's recall probe measures it on names the corpus never writes)."""
    gaps = []
    for paragraph in corpus.split("\n\n"):
        m = re.match(r"A new [a-z ]+ has come to [^:]+: (?:his|her) name is ([A-Z][a-z]+) ", paragraph)
        if not m:
            continue
        sentences = re.split(r"(?<=\.) ", paragraph)
        later = [i for i, s in enumerate(sentences[1:], 1) if re.search(rf"\b{m[1]}\b", s)]
        assert later, paragraph  # named again
        gaps.append(later[0])
    zh = [p for p in corpus.split("\n\n") if re.match(r"\w+来了一位新的\w+，名叫", p)]
    for paragraph in zh:
        name = re.match(r"\w+来了一位新的\w+?，名叫(\w+?)。", paragraph)[1]
        assert paragraph.count(name) >= 2, paragraph
    assert len(gaps) > 30 and len(zh) > 30
    assert max(gaps) >= 6 and min(gaps) == 1  # named again right after, and six or more sentences on


def test_corpus_element_facts_match_the_periodic_table(corpus):
    stated = re.findall(r"([A-Z][a-z]+) is element number (\d+), and its symbol is ([A-Z][a-z]?)\.", corpus)
    symbols = dict(re.findall(r"The chemical symbol for ([a-z]+) is ([A-Z][a-z]?)\.", corpus))
    assert len(stated) > 20 and symbols
    table = {"hydrogen": (1, "H"), "carbon": (6, "C"), "oxygen": (8, "O"), "sodium": (11, "Na"), "iron": (26, "Fe"),
             "silver": (47, "Ag"), "gold": (79, "Au"), "mercury": (80, "Hg"), "lead": (82, "Pb")}
    for name, number, symbol in stated:
        assert symbols.get(name.lower(), symbol) == symbol
        if name.lower() in table:
            assert table[name.lower()] == (int(number), symbol)


@pytest.mark.parametrize("vocab_size", [8000, 12000])
def test_unigram_tokenizer_trains_on_the_corpus(tmp_path, corpus, vocab_size):
    """The corpus is varied enough for the tokenizer the project trains by default (issue #2) and more."""
    tok = train_tokenizer([datasets.SHIPPED_CORPUS], tmp_path, vocab_size=vocab_size, model_type="unigram")
    assert tok.vocab_size == vocab_size
    sample = "\n\n".join(corpus[:-1].split("\n\n")[::300])  # paragraphs of every kind, both languages
    ids = tok.encode(sample)
    assert tok.decode(ids) == sample
    assert Tokenizer.load(tmp_path).encode(sample) == ids
    assert len(ids) < len(sample) / 2  # pieces longer than characters: the vocabulary was learnt, not bytes


# --- the dialogues -----------------------------------------------------------------


def test_dialogue_counts_and_languages():
    rows = {s: _rows(s) for s in SPLITS}
    total = sum(len(r) for r in rows.values())
    assert total >= 500
    assert 0.75 <= len(rows["train"]) / total <= 0.85
    for r in rows.values():
        assert set(r[0]) == {"question", "answer", "lang"}
        zh = sum(x["lang"] == "zh" for x in r)
        assert 0.4 <= zh / len(r) <= 0.6
        for x in r:  # the lang tag agrees with the script
            assert bool(re.search(r"[\u4e00-\u9fff]", x["question"])) == (x["lang"] == "zh"), x


def test_splits_are_disjoint():
    qs = {s: [r["question"] for r in _rows(s)] for s in SPLITS}
    for s in SPLITS:
        assert len(qs[s]) == len(set(qs[s])), f"repeated question in {s}"
    assert not set(qs["train"]) & set(qs["validation"])
    assert not set(qs["train"]) & set(qs["test"])
    assert not set(qs["validation"]) & set(qs["test"])


def test_article_example_and_its_paraphrases():
    pairs = {s: datasets.load_dialogues(datasets.SHIPPED_DIALOGUES[s]) for s in SPLITS}
    assert (ARTICLE_Q, ARTICLE_A) in pairs["train"]
    assert ("账户无法登录怎么办？", ARTICLE_A) in pairs["validation"] + pairs["test"]
    assert LOGIN_EN in pairs["train"]
    for s in ("validation", "test"):  # held-out paraphrases in both languages, same answers
        answers = [a for _, a in pairs[s]]
        assert ARTICLE_A in answers and LOGIN_EN[1] in answers


def test_dialogue_arithmetic_is_correct():
    ops = {"plus": int.__add__, "minus": int.__sub__, "times": int.__mul__,
           "加": int.__add__, "减": int.__sub__, "乘": int.__mul__}
    n = 0
    for s in SPLITS:
        for r in _rows(s):
            m = re.fullmatch(r"(\d+) (plus|minus|times) (\d+) is (\d+)\.|(\d+)(加|减|乘)(\d+)等于(\d+)。", r["answer"])
            if m:
                a, op, b, c = [g for g in m.groups() if g is not None]
                assert ops[op](int(a), int(b)) == int(c)
                assert a in r["question"] and b in r["question"]
                n += 1
    assert n > 200
