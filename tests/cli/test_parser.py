"""The flags (minisora/cli/parser.py) as ``--help`` shows them: every flag of every command and
sub-command is explained, with its default and its choices; `minisora presets` lists the shapes.

The parser is walked through argparse's own tables (``_actions``, the sub-parsers' ``choices``),
and each flag is looked up in the text ``--help`` prints, so a flag added later without help text
fails here too.
"""

import argparse
import re

import pytest

from minisora import config
from minisora.cli import main
from minisora.cli.parser import build_parser


def commands(parser, path=()):
    """(command path, parser) for the top level and every sub-command, sub-sub-commands included."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from commands(sub, (*path, name))


def help_entries(text: str) -> list[str]:
    """The entries of a help text: a line indented by two spaces starts one, deeper lines continue it.
    An entry is the invocation (``--top-k K``), two spaces or more, then the help."""
    entries = []
    for line in text.splitlines():
        if re.match(r"^  \S", line):
            entries.append(line.strip())
        elif entries and line.startswith("   ") and line.strip():
            entries[-1] += "  " + line.strip()  # two spaces, as between a flag and its help
    return entries


def entry_of(action, entries):
    first = action.option_strings[0] if action.option_strings else (action.metavar or action.dest)
    found = [e for e in entries if re.match(rf"{re.escape(first)}(?=[ ,]|$)", e)]
    assert len(found) == 1, (first, entries)
    return found[0]


PARSERS = list(commands(build_parser()))


def test_the_walk_reaches_every_command():
    names = {" ".join(path) for path, _ in PARSERS}
    assert {"generate", "chat", "pretrain", "finetune", "presets", "tokenizer train", "bench decode",
            "data shakespeare", "import-hf"} <= names


@pytest.mark.parametrize("path, parser", PARSERS, ids=[" ".join(p) or "minisora" for p, _ in PARSERS])
def test_help_gives_every_flag_a_default_and_its_choices(path, parser, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    text = parser.format_help()
    entries = help_entries(text)
    assert "(default: None)" not in text
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        entry = entry_of(action, entries)
        invocation = entry.split("  ")[0]
        described = entry[len(invocation):].strip()
        assert described, f"{' '.join(path)} {invocation}: no help text"
        assert "default" in described or "(required)" in described, f"{' '.join(path)} {invocation}: no default"
        for choice in action.choices or ():
            assert str(choice) in entry, f"{' '.join(path)} {invocation}: choice {choice} not shown"


def test_sampling_defaults_are_the_librarys(monkeypatch):
    """generate and chat show the one set of defaults inference/sampling.py holds."""
    from minisora.inference import sampling

    monkeypatch.setenv("COLUMNS", "200")
    for name in ("generate", "chat"):
        p = dict(PARSERS)[(name,)]
        args = p.parse_args(["--run", "r"])
        assert (args.temperature, args.top_k, args.top_p, args.seed, args.max_new_tokens) == (
            sampling.DEFAULT_TEMPERATURE, sampling.DEFAULT_TOP_K, sampling.DEFAULT_TOP_P, sampling.DEFAULT_SEED,
            sampling.DEFAULT_MAX_NEW_TOKENS)
        entries = help_entries(p.format_help())
        temperature = next(e for e in entries if e.startswith("--temperature"))
        assert f"(default: {sampling.DEFAULT_TEMPERATURE})" in temperature


def test_presets_command_and_pretrain_help_list_the_shapes(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    pretrain_help = dict(PARSERS)[("pretrain",)].format_help()
    for text in (out, pretrain_help):
        rows = {line.split()[0]: line.split()[1:] for line in text.splitlines() if line.split()}
        for name, shape in config.PRESETS.items():
            full = config.ModelConfig(**shape)
            assert rows[name] == [str(v) for v in (full.d_model, full.n_heads, full.n_layers, full.d_ff,
                                                   full.max_len, full.d_lstm, full.dropout)]
