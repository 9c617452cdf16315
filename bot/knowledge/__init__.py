"""The curated knowledge base: pydantic schema for the data files under knowledge/ and their loader."""
