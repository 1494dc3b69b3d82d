"""inferonomics: the economics of LLM inference.

Price any usage ledger exactly, simulate what each cost lever would save, and compare the API
bill with the true cost of serving the same tokens on GPUs::

    import inferonomics as inf

    ledger = inf.Ledger.open(["usage.csv"])                  # any supported format, detected
    result = inf.bill(ledger, by=["provider", "model"], grain="day")
    result.table                                             # pyarrow.Table, exact decimal costs
    result.account                                           # rows read = billed + quarantined
    plan = inf.whatif(ledger, ["cache:policy=anthropic", "batch:features=summarize"])
    inf.serving_cost("Qwen/Qwen3-32B", "h100_sxm", isl=1024, osl=256, concurrency=32)

This namespace is the public API: everything below it may move. Names load on first use (so
`import inferonomics` stays quick); type checkers see them all.
"""

import importlib as _importlib
import typing as _typing

__version__ = "0.1.0"

# Public name -> the module that defines it.
_EXPORTS: dict[str, str] = {
    # price book and ledger
    "PriceBook": "inferonomics.catalog.book",
    "Ledger": "inferonomics.ledger.core",
    "Account": "inferonomics.ledger.core",
    "generate_demo": "inferonomics.ledger.generate",
    "write_ledger": "inferonomics.ledger.writer",
    # billing
    "price": "inferonomics.billing.bill",
    "bill": "inferonomics.billing.bill",
    "summarize": "inferonomics.billing.bill",
    "Priced": "inferonomics.billing.engine",
    "Bill": "inferonomics.billing.bill",
    "Summary": "inferonomics.billing.bill",
    "reconcile": "inferonomics.billing.reconcile",
    "Reconciliation": "inferonomics.billing.reconcile",
    "focus_export": "inferonomics.billing.focus",
    "FocusExport": "inferonomics.billing.focus",
    "savings_dataset": "inferonomics.billing.focus",
    "read_focus": "inferonomics.billing.focus_rules",
    "validate_focus": "inferonomics.billing.focus_rules",
    "FocusCheck": "inferonomics.billing.focus_rules",
    # levers
    "whatif": "inferonomics.levers.playbook",
    "playbook": "inferonomics.levers.playbook",
    "Playbook": "inferonomics.levers.playbook",
    "Step": "inferonomics.levers.playbook",
    "discover": "inferonomics.levers.discover",
    "Discovery": "inferonomics.levers.discover",
    "DiscoveryOptions": "inferonomics.levers.discover_candidate",
    "parse_lever": "inferonomics.levers.spec",
    "cache_report": "inferonomics.levers.report",
    "CacheReport": "inferonomics.levers.report",
    "Lever": "inferonomics.levers.base",
    "Caching": "inferonomics.levers.caching",
    "AssumedCaching": "inferonomics.levers.assumed",
    "Batch": "inferonomics.levers.batch",
    "Route": "inferonomics.levers.routing",
    "QualityRoute": "inferonomics.levers.routing",
    "OutputCap": "inferonomics.levers.caps",
    "PriceChange": "inferonomics.levers.pricing",
    "Discount": "inferonomics.levers.pricing",
    "Commitment": "inferonomics.levers.pricing",
    # serving
    "serving_cost": "inferonomics.serving.api",
    "serving_frontier": "inferonomics.serving.api",
    "score_serving": "inferonomics.serving.api",
    "gpu_listing": "inferonomics.serving.api",
    "GpuListing": "inferonomics.serving.api",
    "CostResult": "inferonomics.serving.cost",
    "FrontierResult": "inferonomics.serving.frontier",
    "ScoreReport": "inferonomics.serving.score",
    # coding agents
    "agent_usage": "inferonomics.agents.reports",
    "agent_blocks": "inferonomics.agents.reports",
    "AgentReport": "inferonomics.agents.reports",
    "AgentBlocks": "inferonomics.agents.reports",
    "default_agent_paths": "inferonomics.ledger.readers.agents",
    "write_claude_code_tree": "inferonomics.ledger.agent_logs",
    "write_codex_tree": "inferonomics.ledger.agent_logs",
    "AgentTree": "inferonomics.ledger.agent_logs",
    # subscription plans
    "Plan": "inferonomics.plans.schema",
    "PlanCatalog": "inferonomics.plans.catalog",
    "load_plans": "inferonomics.plans.catalog",
    "fit_plans": "inferonomics.plans.fit",
    "FitResult": "inferonomics.plans.fit",
    "estimate_limits": "inferonomics.plans.limits",
    "LimitEstimates": "inferonomics.plans.limits",
    "simulate_plans": "inferonomics.plans.simulate",
    "SimulationResult": "inferonomics.plans.simulate",
    "TrueCost": "inferonomics.plans.true_cost",
    "usage_blocks": "inferonomics.plans.windows",
    "assign_blocks": "inferonomics.plans.windows",
    # reports
    "html_report": "inferonomics.report.html.build",
    "HtmlReport": "inferonomics.report.html.build",
    # worked cases
    "run_cases": "inferonomics.cases",
    "CaseResult": "inferonomics.cases",
    # errors
    "InferonomicsError": "inferonomics.errors",
    "InputError": "inferonomics.errors",
    "PriceBookError": "inferonomics.errors",
    "UnknownModelError": "inferonomics.errors",
    "RollupError": "inferonomics.errors",
    "LeverError": "inferonomics.errors",
    "ServingError": "inferonomics.errors",
    "ArchitectureError": "inferonomics.errors",
    "GpuCatalogError": "inferonomics.errors",
    "DeploymentError": "inferonomics.errors",
    "CostError": "inferonomics.errors",
    "CaseError": "inferonomics.errors",
    "OptionError": "inferonomics.errors",
    "PlanError": "inferonomics.errors",
}

__all__ = [
    "Account",
    "AgentBlocks",
    "AgentReport",
    "AgentTree",
    "ArchitectureError",
    "AssumedCaching",
    "Batch",
    "Bill",
    "CacheReport",
    "Caching",
    "CaseError",
    "CaseResult",
    "Commitment",
    "CostError",
    "CostResult",
    "DeploymentError",
    "Discount",
    "Discovery",
    "DiscoveryOptions",
    "FitResult",
    "FocusCheck",
    "FocusExport",
    "FrontierResult",
    "GpuCatalogError",
    "GpuListing",
    "HtmlReport",
    "InferonomicsError",
    "InputError",
    "Ledger",
    "Lever",
    "LeverError",
    "LimitEstimates",
    "OptionError",
    "OutputCap",
    "Plan",
    "PlanCatalog",
    "PlanError",
    "Playbook",
    "PriceBook",
    "PriceBookError",
    "PriceChange",
    "Priced",
    "QualityRoute",
    "Reconciliation",
    "RollupError",
    "Route",
    "ScoreReport",
    "ServingError",
    "SimulationResult",
    "Step",
    "Summary",
    "TrueCost",
    "UnknownModelError",
    "agent_blocks",
    "agent_usage",
    "assign_blocks",
    "bill",
    "cache_report",
    "default_agent_paths",
    "discover",
    "estimate_limits",
    "fit_plans",
    "focus_export",
    "generate_demo",
    "gpu_listing",
    "html_report",
    "load_plans",
    "parse_lever",
    "playbook",
    "price",
    "read_focus",
    "reconcile",
    "run_cases",
    "savings_dataset",
    "score_serving",
    "serving_cost",
    "serving_frontier",
    "simulate_plans",
    "summarize",
    "usage_blocks",
    "validate_focus",
    "whatif",
    "write_claude_code_tree",
    "write_codex_tree",
    "write_ledger",
]


def __getattr__(name: str) -> _typing.Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'inferonomics' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


if _typing.TYPE_CHECKING:
    from inferonomics.agents.reports import AgentBlocks, AgentReport, agent_blocks, agent_usage
    from inferonomics.billing.bill import Bill, Summary, bill, price, summarize
    from inferonomics.billing.engine import Priced
    from inferonomics.billing.focus import FocusExport, focus_export, savings_dataset
    from inferonomics.billing.focus_rules import FocusCheck, read_focus, validate_focus
    from inferonomics.billing.reconcile import Reconciliation, reconcile
    from inferonomics.cases import CaseResult, run_cases
    from inferonomics.catalog.book import PriceBook
    from inferonomics.errors import (
        ArchitectureError,
        CaseError,
        CostError,
        DeploymentError,
        GpuCatalogError,
        InferonomicsError,
        InputError,
        LeverError,
        OptionError,
        PlanError,
        PriceBookError,
        RollupError,
        ServingError,
        UnknownModelError,
    )
    from inferonomics.ledger.agent_logs import AgentTree, write_claude_code_tree, write_codex_tree
    from inferonomics.ledger.core import Account, Ledger
    from inferonomics.ledger.generate import generate_demo
    from inferonomics.ledger.readers.agents import default_agent_paths
    from inferonomics.ledger.writer import write_ledger
    from inferonomics.levers.assumed import AssumedCaching
    from inferonomics.levers.base import Lever
    from inferonomics.levers.batch import Batch
    from inferonomics.levers.caching import Caching
    from inferonomics.levers.caps import OutputCap
    from inferonomics.levers.discover import Discovery, discover
    from inferonomics.levers.discover_candidate import DiscoveryOptions
    from inferonomics.levers.playbook import Playbook, Step, playbook, whatif
    from inferonomics.levers.pricing import Commitment, Discount, PriceChange
    from inferonomics.levers.report import CacheReport, cache_report
    from inferonomics.levers.routing import QualityRoute, Route
    from inferonomics.levers.spec import parse_lever
    from inferonomics.plans.catalog import PlanCatalog, load_plans
    from inferonomics.plans.fit import FitResult, fit_plans
    from inferonomics.plans.limits import LimitEstimates, estimate_limits
    from inferonomics.plans.schema import Plan
    from inferonomics.plans.simulate import SimulationResult, simulate_plans
    from inferonomics.plans.true_cost import TrueCost
    from inferonomics.plans.windows import assign_blocks, usage_blocks
    from inferonomics.report.html.build import HtmlReport, html_report
    from inferonomics.serving.api import (
        GpuListing,
        gpu_listing,
        score_serving,
        serving_cost,
        serving_frontier,
    )
    from inferonomics.serving.cost import CostResult
    from inferonomics.serving.frontier import FrontierResult
    from inferonomics.serving.score import ScoreReport
