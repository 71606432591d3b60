"""`shield eval`: how well Shield finds the right documents, measured on labelled queries.

A BEIR-format folder (`beir.py`) is ingested through the running platform into a scratch
collection; every query is searched in every mode (`runner.py`) and scored with ir-measures
(`measures.py`) beside a BM25 baseline over whole documents from bm25s (`baseline.py`).
"""
