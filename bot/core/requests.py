"""Requests that are not questions: "write me a poem about RedNote", "讲个关于小红书的笑话".

They share every word with the topic, so similarity alone answers them with the closest entry. Read from
the verb that opens them, they are declined with the reply of the out-of-scope group they belong to.
"""

from __future__ import annotations

import re

_LEAD = r"^(?:(?:hey|yo|ok|okay|pls|plz|please|can you|could you|would you|bot|banbot)[,!\s]+)*"
_TASK = re.compile(
    _LEAD + r"(?:write|compose|draft|rewrite|translate|summari[sz]e|generate|draw|design|code|make (?:me )?(?:a|an) "
    r"(?:poem|song|rap|meme|essay|story|caption|script|logo|picture|image)|make me\b)",
    re.IGNORECASE,
)
_JOKE = re.compile(_LEAD + r"(?:tell|give) (?:me |us )?(?:a |some |another )?(?:joke|pun|riddle)s?\b", re.IGNORECASE)
_ZH_TASK = re.compile(
    r"^(?:请|麻烦|帮我|给我|你)?(?:帮我)?(?:写一?(?:首|篇|段|个)|翻译|总结一下|画一?(?:张|个)|做一?(?:个|张))"
)
_ZH_JOKE = re.compile(r"(?:讲|说|来)一?(?:个|段|些)?.{0,12}笑话")


def request_group(question: str) -> str | None:
    """The out-of-scope group of a request that is not a question ("instructions", "chit-chat"), or None."""
    text = question.strip()
    if _JOKE.search(text) or _ZH_JOKE.search(text):
        return "chit-chat"
    if _TASK.search(text) or _ZH_TASK.search(text):
        return "instructions"
    return None
