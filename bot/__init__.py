"""banbot: sourced answers and countdowns about the US TikTok divest-or-ban law and RedNote."""

__version__ = "0.1.0"
