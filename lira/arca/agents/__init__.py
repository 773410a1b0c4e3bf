"""Encoding agents: several views of one input, composed by ``lira.arca.fusion``."""

from lira.arca.agents.base import EncodingAgent
from lira.arca.agents.char_ngram import CharNgramAgent, RomanizedAgent, romanize
from lira.arca.agents.transformer import TransformerAgent

AGENT_NAMES = ("transformer", "char_ngram", "romanized")

__all__ = ["AGENT_NAMES", "CharNgramAgent", "EncodingAgent", "RomanizedAgent", "TransformerAgent", "romanize"]
