"""LaSR (Language-coupled Semantic Reasoner): a light, language-aware reasoning head on Arca's representations.

Modules: ``head`` (``LasrHead``), ``losses`` (``TaskLoss``, ``SymmetricKLConsistencyLoss``),
``trainer`` (the head's training on encoder embeddings); its configuration is
``lira.config.LasrConfig``.
"""
