"""Coding-agent usage at API prices: what `ccusage` reports (daily, weekly, monthly, per session,
5-hour blocks), computed by the billing engine over any ledger, most usefully the Claude Code and
Codex logs the ledger readers take (`ledger/readers`)."""
