"""LiRA: Linguistic Robust Anchoring of low-resource sentence representations."""

__version__ = "0.1.0"
