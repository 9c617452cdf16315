import pytest

from bot.core.ordinals import entry_ordinals, ordinals


@pytest.mark.parametrize(
    ("text", "places"),
    [
        ("when did the first tiktok delay run out", {1}),
        ("the 2nd pause, till when", {2}),
        ("3rd tiktok extension was 90 days or 75?", {3}),
        ("第四次延期是延到哪天来着", {4}),
        ("川普第一次延期是哪天签的 延了多久", {1}),
        ("did tiktok's first amendment argument work", set()),  # an ordinal, but not of a series of delays
        ("what did trump do on his first day", set()),
        ("最后期限是哪天", set()),
    ],
)
def test_a_place_in_a_series_of_extensions_is_read_in_both_languages(text: str, places: set[int]) -> None:
    assert ordinals(text) == places


def test_an_entry_is_about_the_places_its_questions_name() -> None:
    questions = ["first tiktok pause ended april 5?", "第一次暂缓执法到哪天结束？", "what is eo 14166"]
    assert entry_ordinals(questions) == {1}
    assert entry_ordinals(["what is eo 14166"]) == frozenset()
