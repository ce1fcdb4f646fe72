"""The terminal view of `minisora chat` (minisora/inference/chat.py): runs of blank lines are
capped, the answer itself is not changed.

Independent reference: two ``re.sub`` on the whole text — lines of spaces only become empty, then
runs of more than ``keep + 1`` newlines shrink to ``keep + 1`` — against the view built piece by
piece, for any text and any split of it.
"""

import io
import itertools
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from minisora.inference.chat import BlankLineCap, print_stream


def view(text: str, keep: int) -> str:
    blank_emptied = re.sub(r"\n[^\S\n]*(?=\n)", "\n", text)
    return re.sub(f"\n{{{keep + 2},}}", "\n" * (keep + 1), blank_emptied)


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="ab \t\n\u3000", max_size=60), cuts=st.lists(st.integers(0, 60), max_size=8),
       keep=st.integers(0, 3))
def test_the_streamed_view_equals_the_whole_texts(text, cuts, keep):
    bounds = [0, *sorted(c for c in cuts if c <= len(text)), len(text)]
    cap = BlankLineCap(keep)
    shown = "".join(cap.feed(text[a:b]) for a, b in itertools.pairwise(bounds)) + cap.finish()
    assert shown == view(text, keep)


class Letters:
    """A tokenizer of single characters: id i <-> chr(i); 3 is </s>."""

    eos_id, bos_id = 3, 2

    def decode(self, ids):
        return "".join(chr(i) for i in ids if i > 3)


def test_print_stream_caps_blank_lines_and_keeps_the_ids():
    answer = "Yes." + "\n" * 30 + "  \n\n" + "Bye"
    ids = [ord(c) for c in answer]
    chunks = [[ids[i:i + 5]] for i in range(0, len(ids), 5)] + [[[3, 0]]]  # rows of a batch of one, then </s>
    out = io.StringIO()
    assert print_stream(Letters(), iter(chunks), out=out, blank_lines=1) == ids  # the answer kept whole
    assert out.getvalue() == "Yes.\n\nBye\n"
    plain = io.StringIO()
    print_stream(Letters(), iter(chunks), out=plain)  # generate's view: the text as it is
    assert plain.getvalue() == answer + "\n"
