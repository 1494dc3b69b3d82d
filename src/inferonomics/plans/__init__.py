"""Subscription plans against usage: the plan catalogue, rate-limit windows and their replay,
one user's fit, limits estimated from observations, and populations simulated through plans.

- `schema` and `catalog`: the plans (dated, sourced prices and limits; `catalog/data/plans.yaml`
  plus the user's own files);
- `windows`: block windows (5-hour sessions, weeks) for many users at once, and usage by block;
- `usage`: priced requests as the replay reads them (exact money in integer parts);
- `replay` (over `kernel`): requests through a plan's limits in time order, exactly;
- `fit`, `limits`, `population`, `simulate` and `true_cost`: the commands' computations, over
  `inputs` (the agents' logs where they keep them; requests re-priced at another model).

Semantics and figures: docs/plans.md.
"""
