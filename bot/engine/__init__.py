"""The answering engine as the bot runs it: built from settings (factory), held and swapped on reload
(holder), reloaded when the knowledge files change (watch). Above the core and the knowledge, which know
nothing of it."""

from bot.engine.factory import AnswererFactory
from bot.engine.holder import KnowledgeHolder
from bot.engine.watch import watch_knowledge

__all__ = ["AnswererFactory", "KnowledgeHolder", "watch_knowledge"]
