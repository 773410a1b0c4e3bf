"""Arca's loss terms, one small module each (sentence-transformers' ``losses/`` shape)."""

from lira.arca.losses.AnchorAlignmentLoss import AnchorAlignmentLoss
from lira.arca.losses.ContrastiveAlignmentLoss import ContrastiveAlignmentLoss
from lira.arca.losses.GeometryPreservationLoss import GeometryPreservationLoss
from lira.arca.losses.NoiseConsistencyLoss import NoiseConsistencyLoss
from lira.arca.losses.QueryTitleRetrievalLoss import QueryTitleRetrievalLoss

__all__ = ["AnchorAlignmentLoss", "ContrastiveAlignmentLoss", "GeometryPreservationLoss", "NoiseConsistencyLoss", "QueryTitleRetrievalLoss"]
