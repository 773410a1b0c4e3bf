"""Arca's loss terms, one small module each (sentence-transformers' ``losses/`` shape)."""

from lira.arca.losses.AnchorAlignmentLoss import AnchorAlignmentLoss
from lira.arca.losses.ContrastiveAlignmentLoss import ContrastiveAlignmentLoss
from lira.arca.losses.GeometryPreservationLoss import GeometryPreservationLoss

__all__ = ["AnchorAlignmentLoss", "ContrastiveAlignmentLoss", "GeometryPreservationLoss"]
