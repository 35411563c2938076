"""The gateway's pre-parse token bound (gateway/extensions.py ``tokens_at_least``) counts tokens
exactly as graphql-core's lexer does, so a document is refused early only when the parser would
refuse it too — checked against the lexer itself on generated token sequences."""

from __future__ import annotations

from graphql.language import Lexer, Source, TokenKind
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.extensions import tokens_at_least


def lexer_count(query: str) -> int:
    lexer = Lexer(Source(query))
    n = 0
    while lexer.advance().kind != TokenKind.EOF:
        n += 1
    return n


_pieces = st.sampled_from(
    [
        "{", "}", "(", ")", "[", "]", ":", "=", "@", "$", "!", "|", "&", "...", "query", "a1", "_x",
        "0", "-12", "3.5", "1e9", "-2.5E-3", '"plain"', '"esc \\" q"', '"\\u00e9"', '"""block"""',
        '"""with \\""" inside"""', '"""two\nlines "quoted" """', "# comment\n", ",", " ", "\n", "\t",
        "电梯",  # inside a string only: see below
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_pieces, max_size=60))
def test_counts_what_the_lexer_counts(pieces: list[str]) -> None:
    parts = [f'"{p}"' if p == "电梯" else p for p in pieces]
    query = " ".join(parts)
    try:
        expected = lexer_count(query)
    except Exception:  # noqa: BLE001 - not lexable: the parser refuses it anyway
        return
    assert tokens_at_least(query, expected)
    assert not tokens_at_least(query, expected + 1)


def test_a_document_of_5000_aliases_is_over_the_bound_and_a_normal_one_is_not() -> None:
    aliases = "{" + " ".join(f"a{i}: __typename" for i in range(5000)) + "}"
    assert tokens_at_least(aliases, 2001)
    normal = '{ communities(first: 20, after: "YXJyYXk=") { edges { node { id name } } } } # 备注'
    assert not tokens_at_least(normal, 2001) and tokens_at_least(normal, lexer_count(normal))
