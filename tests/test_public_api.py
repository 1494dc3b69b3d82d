"""The public surface: `inferonomics.__all__` is the API (pinned here, in the style of httpx's
exported-members test), every module imports on its own, and no two modules import each other."""

from __future__ import annotations

import ast
import inspect
import pkgutil
import sys
import types
from pathlib import Path

import pytest

import inferonomics

SRC = Path(inferonomics.__file__).parent

PINNED = [
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


def modules() -> list[str]:
    found = pkgutil.walk_packages([str(SRC)], prefix="inferonomics.")
    return ["inferonomics", *sorted(m.name for m in found if "__main__" not in m.name)]


def test_all_is_pinned_and_sorted() -> None:
    # A change to the public API is a change to this list: on purpose, reviewed.
    assert inferonomics.__all__ == PINNED
    assert sorted(PINNED) == PINNED


def test_all_lists_every_public_name() -> None:
    public = {
        name
        for name in dir(inferonomics)
        if not name.startswith("_") and not isinstance(getattr(inferonomics, name), types.ModuleType)
    }
    assert public == set(inferonomics.__all__)


@pytest.mark.parametrize("name", PINNED)
def test_every_export_resolves_and_is_documented(name: str) -> None:
    value = getattr(inferonomics, name)
    assert inspect.getdoc(value), f"{name} has no docstring"
    if inspect.isfunction(value):
        # Typed: every parameter and the return carry an annotation.
        sig = inspect.signature(value)
        assert sig.return_annotation is not inspect.Signature.empty, name
        for p in sig.parameters.values():
            assert p.annotation is not inspect.Parameter.empty, f"{name}({p.name})"


def test_errors_share_one_base_and_are_the_builtins_callers_expect() -> None:
    errors = [getattr(inferonomics, n) for n in PINNED if n.endswith("Error")]
    assert len(errors) == 14
    for cls in errors:
        assert issubclass(cls, inferonomics.InferonomicsError), cls
    assert issubclass(inferonomics.InputError, ValueError)
    assert issubclass(inferonomics.UnknownModelError, LookupError)
    assert issubclass(inferonomics.UnknownModelError, inferonomics.PriceBookError)
    assert issubclass(inferonomics.GpuCatalogError, inferonomics.ServingError)


@pytest.mark.usefixtures("data_dir")  # needs the shared data (the serving model)
def test_the_errors_the_library_raises_are_the_exported_ones() -> None:
    with pytest.raises(inferonomics.InputError, match="no such file"):
        inferonomics.Ledger.open(["/nonexistent/usage.csv"])
    book = inferonomics.PriceBook.load()
    with pytest.raises(inferonomics.UnknownModelError, match="unknown model"):
        book.describe_model("no-such-model-anywhere")
    with pytest.raises(inferonomics.LeverError, match="unknown lever"):
        inferonomics.parse_lever("teleport:share=1")
    with pytest.raises(inferonomics.GpuCatalogError, match="unknown GPU"):
        inferonomics.serving_cost("Qwen/Qwen3-32B", "h900", isl=1, osl=1, concurrency=1)
    with pytest.raises(inferonomics.CaseError, match="unknown case"):
        inferonomics.run_cases(["Z9"])


@pytest.mark.slow
def test_every_module_imports_on_its_own() -> None:
    # Each module is imported in a fresh child process (forked before any inferonomics module is
    # loaded), so an import that only works after another module was loaded first fails here.
    names = modules()
    assert len(names) > 80
    probe = (
        "import importlib, multiprocessing as mp, sys\n"
        "import ibis, pyarrow, duckdb, typer, rich, pydantic, numpy, yaml  # heavy, not ours\n"
        "assert not any(m.startswith('inferonomics') for m in sys.modules)\n"
        "def one(name):\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as e:\n"
        "        return f'{name}: {type(e).__name__}: {e}'\n"
        "if __name__ == '__main__':\n"
        "    names = sys.argv[1:]\n"
        "    with mp.get_context('fork').Pool(2, maxtasksperchild=1) as pool:\n"
        "        bad = [r for r in pool.map(one, names, chunksize=1) if r]\n"
        "    print('\\n'.join(bad))\n"
        "    sys.exit(1 if bad else 0)\n"
    )
    import subprocess

    result = subprocess.run(
        [sys.executable, "-c", probe, *names], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _module_imports(path: Path, name: str) -> set[str]:
    """The inferonomics modules `name` imports when it is loaded (module level, outside
    `if TYPE_CHECKING:`); `from pkg import sub` counts as importing pkg.sub when sub is a module."""
    tree = ast.parse(path.read_text())
    is_package = path.name == "__init__.py"
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("inferonomics"))
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = name.split(".")
                    keep = len(parts) - node.level + (1 if is_package else 0)
                    base = ".".join(parts[:keep] + ([base] if base else []))
                if not base.startswith("inferonomics"):
                    continue
                for a in node.names:
                    sub = f"{base}.{a.name}"
                    found.add(
                        sub
                        if (SRC.parent / (sub.replace(".", "/") + ".py")).exists()
                        or (SRC.parent / sub.replace(".", "/") / "__init__.py").exists()
                        else base
                    )
            elif isinstance(node, ast.If | ast.Try | ast.With):
                for block in ("body", "orelse", "finalbody", "handlers"):
                    inner = getattr(node, block, [])
                    for item in inner:
                        visit(item.body if isinstance(item, ast.ExceptHandler) else [item])

    visit(tree.body)
    found.discard(name)
    return found


def test_no_import_cycles() -> None:
    graph: dict[str, set[str]] = {}
    for name in modules():
        rel = name.replace(".", "/")
        path = SRC.parent / f"{rel}.py"
        if not path.exists():
            path = SRC.parent / rel / "__init__.py"
        graph[name] = _module_imports(path, name)
    assert "inferonomics.cli.app" in graph["inferonomics.cli"]
    # Depth-first search for a back edge; report the cycle it closes.
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def dfs(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                dfs(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            dfs(node)
    assert cycles == [], "\n".join(" -> ".join(c) for c in cycles)


def test_the_cli_calls_only_the_public_api() -> None:
    # Command modules reach the library through `inferonomics` (and the report views); deep
    # imports of billing, levers, serving or the ledger would make the CLI a second API.
    allowed = ("inferonomics.cli", "inferonomics.report", "inferonomics.errors")
    for path in sorted((SRC / "cli").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("inferonomics."):
                assert node.module.startswith(allowed), f"{path.name} imports {node.module}"
