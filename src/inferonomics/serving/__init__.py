"""First-principles serving model: throughput, latency and $/MTok of LLM serving on GPUs."""
