from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class QueryTitleRetrievalLoss(nn.Module):
    """Query -> product title InfoNCE with in-batch and mined hard negatives, false negatives masked.

    The dense-retrieval objective of DPR (Karpukhin et al., "Dense Passage Retrieval for Open-Domain
    Question Answering", EMNLP 2020: in-batch negatives plus one BM25 hard negative per question) and
    of sentence-transformers' ``MultipleNegativesRankingLoss`` with hard negatives: each query must
    pick its relevant title out of every title in the batch. Cosine similarities are divided by
    ``temperature``. Safe negative sampling (as in RocketQA's denoised negatives, Qu et al., NAACL
    2021, here decided by the labels, not a model): a title that ``false_negatives`` marks for a query
    (the data set calls its product exact or substitute for that query) is left out of that query's
    softmax, so it is neither rewarded nor punished.

    Inputs: ``queries`` ``(B, D)``, ``titles`` ``(N, D)`` (any order: the positives, then the hard
    negatives is usual), ``positives`` ``(B,)`` the column of each query's relevant title,
    optional ``false_negatives`` ``(B, N)`` bool, True where title j must not count as a negative of
    query i (the positive's own column is never masked).

    Relation to other losses: ``ContrastiveAlignmentLoss`` ranks translations of the same sentence
    (symmetric); this one ranks query -> title only, an asymmetric relation between two kinds of text.

    Example::

        loss = QueryTitleRetrievalLoss(temperature=0.05)
        value, parts = loss(student(queries), student(titles), positives=torch.arange(B), false_negatives=mask)
    """

    def __init__(self, temperature: float = 0.05) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        self.temperature = temperature

    def forward(
        self, queries: torch.Tensor, titles: torch.Tensor, positives: torch.Tensor, false_negatives: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, dict[str, float]]:
        logits = F.normalize(queries, dim=-1) @ F.normalize(titles, dim=-1).T / self.temperature
        rows = torch.arange(logits.size(0), device=logits.device)
        if false_negatives is not None:
            masked = false_negatives.clone()
            masked[rows, positives] = False
            logits = logits.masked_fill(masked, float("-inf"))
        value = F.cross_entropy(logits, positives)
        accuracy = (logits.argmax(dim=-1) == positives).float().mean()
        return value, {"retrieval_acc": float(accuracy.detach())}
