"""README.md and README.zh-CN.md tell the same story: the same set-up commands (verbatim), the same
`minisora …` commands in their code blocks, the same chapter links, each README links to the other,
and every command they show is one minisora's own parser accepts.

Everything is read from the two files (fenced code blocks, markdown links), never from a copy of
today's lists, so a command or chapter added to one README and not the other fails here.
"""

import re
import shlex
from collections import Counter
from pathlib import Path

import pytest

from minisora.cli.parser import build_parser

ROOT = Path(__file__).resolve().parents[1]
ENGLISH, CHINESE = ROOT / "README.md", ROOT / "README.zh-CN.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
CHAPTER_LINK = re.compile(r"\]\((tutorials/[^)\s]+\.py)\)")


def shell_lines(text: str) -> list[str]:
    """The lines of the README's bash code blocks."""
    return [line.strip() for lang, body in FENCE.findall(text) if lang in ("bash", "sh", "shell")
            for line in body.splitlines() if line.strip()]


def setup_commands(text: str) -> list[str]:
    """The one-line set-up commands (``python3 -m venv .venv && …``), verbatim."""
    return [line for line in shell_lines(text) if line.startswith("python3 -m venv")]


def minisora_commands(text: str) -> list[str]:
    """Every ``minisora …`` command of the code blocks, comments dropped and spacing normalised:
    the lines of the CLI tour, and the ``minisora`` steps of ``&&`` chains (``.venv/bin/minisora demo``)."""
    commands = []
    for line in shell_lines(text):
        for step in line.split("&&"):
            words = shlex.split(step, comments=True)
            if words and Path(words[0]).name == "minisora":
                commands.append(shlex.join(["minisora", *words[1:]]))
    return commands


def chapter_links(text: str) -> list[str]:
    return CHAPTER_LINK.findall(text)


def differences(english: str, chinese: str) -> list[str]:
    """What one README has that the other lacks, one line per difference (empty: they agree)."""
    said = []
    for what, read, ordered in [("set-up command", setup_commands, False),
                                ("minisora command", minisora_commands, False), ("chapter link", chapter_links, True)]:
        en, zh = read(english), read(chinese)
        for line in sorted((Counter(en) - Counter(zh)).elements()):
            said.append(f"{what} only in README.md: {line}")
        for line in sorted((Counter(zh) - Counter(en)).elements()):
            said.append(f"{what} only in README.zh-CN.md: {line}")
        if ordered and Counter(en) == Counter(zh) and en != zh:
            said.append(f"{what}s in another order: {en} vs {zh}")
    return said


@pytest.fixture(scope="module")
def readmes():
    return ENGLISH.read_text(encoding="utf-8"), CHINESE.read_text(encoding="utf-8")


def test_the_readmes_show_the_same_commands_and_chapters(readmes):
    english, chinese = readmes
    assert differences(english, chinese) == []
    assert len(setup_commands(english)) >= 2  # install + demo, install + tests (the parsing found them)
    shown = minisora_commands(english)
    assert "minisora demo" in shown and "minisora chat --run runs/gpt-chat" in shown


def test_the_comparison_sees_a_command_or_chapter_only_one_readme_has(readmes):
    """The check itself: a README that gains a command, a chapter or a set-up step the other lacks differs."""
    english, chinese = readmes
    tour = "minisora presets"
    assert tour in english
    more_commands = english.replace(tour, tour + "\nminisora data info --help", 1)
    assert differences(more_commands, chinese) == ["minisora command only in README.md: minisora data info --help"]
    fewer = re.sub(r"^minisora chat --run runs/gpt-chat\b.*\n", "", chinese, count=1, flags=re.MULTILINE)
    assert fewer != chinese
    assert differences(english, fewer) == ["minisora command only in README.md: minisora chat --run runs/gpt-chat"]
    last = chapter_links(chinese)[-1]
    more_chapters = chinese.replace(f"]({last})", f"]({last})\n13. [Next](tutorials/13_next.py)", 1)
    assert differences(english, more_chapters) == ["chapter link only in README.zh-CN.md: tutorials/13_next.py"]
    setup = setup_commands(english)[0]
    changed = english.replace(setup, setup.replace("pip install", "pip install -q"), 1)
    assert len(differences(changed, chinese)) == 2  # the set-up line no longer verbatim, both ways


def test_every_command_shown_is_one_the_parser_accepts(readmes):
    parser = build_parser()
    for text in readmes:
        for command in minisora_commands(text):
            try:
                args = parser.parse_args(shlex.split(command)[1:])
            except SystemExit:
                pytest.fail(f"the README shows a command minisora's parser rejects: {command}")
            assert args.handler


def test_the_chapter_links_name_every_chapter(readmes):
    chapters = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tutorials").glob("[0-9][0-9]_*.py"))
    for text in readmes:
        assert chapter_links(text) == chapters


def test_each_readme_links_to_the_other(readmes):
    english, chinese = readmes
    assert "](README.md)" in chinese.split("\n\n", 1)[0]  # at the top
    assert "](README.zh-CN.md)" in english.split("\n## ", 1)[0]  # before the first section
