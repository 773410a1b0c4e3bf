"""LaSR's loss terms, one small module each (the shape of ``lira.arca.losses``)."""

from lira.lasr.losses.SymmetricKLConsistencyLoss import SymmetricKLConsistencyLoss
from lira.lasr.losses.TaskLoss import TaskLoss

__all__ = ["SymmetricKLConsistencyLoss", "TaskLoss"]
