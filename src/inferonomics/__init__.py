"""inferonomics: the economics of LLM inference.

Price any usage ledger exactly, simulate what each cost lever would save, and compare the API
bill with the true cost of serving the same tokens on GPUs.
"""

__version__ = "0.1.0"
