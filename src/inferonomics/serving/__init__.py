"""First-principles serving model: throughput, latency and $/MTok of LLM serving on GPUs.

- `deploy.make_deployment` / `configs.Workload`: describe a deployment and its load;
- `steady.predict_arrays` (vectorized) and `deploy.predict_one`: TTFT, TPOT, tokens/s;
- `cost.cost_of`: $ per million input, output and cached-input tokens;
- `frontier.frontier`: the throughput-interactivity frontier over layouts and concurrencies;
- `score.score_file`: the error against measured points; `calibration`: fitting the parameters;
- `api`: the public entry points (`inferonomics.serving_cost`, `serving_frontier`, `score_serving`,
  `gpu_listing`).

The articles' true-cost claims (D1-D5) are computed in `inferonomics.cases` from these.
"""

from inferonomics.serving.configs import ConfigArrays, Deployment, Parallelism, Workload, build_arrays
from inferonomics.serving.cost import CostResult, concurrency_for_tpot, cost_of, gpu_hour_price
from inferonomics.serving.deploy import make_deployment, predict_one
from inferonomics.serving.frontier import FrontierResult, best_layout_under_slo, frontier
from inferonomics.serving.params import EfficiencyParams, load_fitted_params
from inferonomics.serving.score import ScoreReport, score_file
from inferonomics.serving.steady import Prediction, predict_arrays

__all__ = [
    "ConfigArrays",
    "CostResult",
    "Deployment",
    "EfficiencyParams",
    "FrontierResult",
    "Parallelism",
    "Prediction",
    "ScoreReport",
    "Workload",
    "best_layout_under_slo",
    "build_arrays",
    "concurrency_for_tpot",
    "cost_of",
    "frontier",
    "gpu_hour_price",
    "load_fitted_params",
    "make_deployment",
    "predict_arrays",
    "predict_one",
    "score_file",
]
