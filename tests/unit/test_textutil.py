"""tasks.textutil.translator must give exactly what str.translate gives."""
import random

from tasks.textutil import translator

TABLE = str.maketrans({"\u2019": "'", "\u201c": '"', "\u2014": "-", "\u00ad": None, "\n": " ", "[": "]"})


def test_translator_matches_str_translate():
    rng = random.Random(7)
    alphabet = "ab \n[]\u2019\u201c\u2014\u00ad\u00e9\u4e2d\U0001f600"
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
        assert translator(TABLE)(text) == text.translate(TABLE)


def test_translator_of_an_empty_table_changes_nothing():
    assert translator({})("caf\u00e9 \u2019") == "caf\u00e9 \u2019"
