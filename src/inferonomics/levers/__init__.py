"""What-if levers over a usage ledger and the playbook that compounds them.

`base` (scenarios and their bills), `caching` with `prefixes`, `replay`, `policies` and `assumed`
(prompt caching replayed with each provider's rules), `batch`, `routing`, `caps` (output and
thinking), `pricing` (price scenarios, discounts, commitments), `rules` (row selection),
`playbook` (levers in sequence), `spec` (levers as command-line text), `report` (the cache
report) and `cli`. Semantics and figures: docs/levers.md.
"""
