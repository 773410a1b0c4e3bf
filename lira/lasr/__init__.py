"""LaSR (Language-coupled Semantic Reasoner): a light, language-aware reasoning head on Arca's representations.

Modules: ``config`` (``LasrConfig``, no torch), ``head`` (``LasrHead``), ``losses``
(``TaskLoss``, ``SymmetricKLConsistencyLoss``). Nothing is imported here, so
``lira.lasr.config`` stays importable without torch.
"""
