"""The exceptions inferonomics raises for problems a user can fix.

Every one derives from `InferonomicsError`, so a program (and the CLI, once, at its boundary)
catches them all with one clause; each is also the builtin a caller would expect (`ValueError`
for a bad value, `LookupError` for an unknown name), so existing `except ValueError` code keeps
working. The message always says what is wrong, where (file, line, option, entry) and what to do.

    InferonomicsError
    ├── InputError            an input (file, URL, option value) that cannot be read as asked
    ├── PriceBookError        a price book or price sheet that cannot be loaded
    │   └── UnknownModelError     a model or provider the book does not know (names the nearest)
    ├── RollupError           a grouping or time grain a bill cannot be rolled up by
    ├── LeverError            a what-if lever that cannot be applied as asked
    ├── ServingError          the serving model cannot answer as asked
    │   ├── ArchitectureError     a model config that cannot be found or read
    │   ├── GpuCatalogError       an unknown GPU or price tier, or a bad GPU catalogue
    │   ├── DeploymentError       a deployment that cannot be built (does not fit, bad layout)
    │   └── CostError             a cost that cannot be computed
    ├── CaseError             an unknown worked case
    ├── PlanError             a plan file, plan or plan replay that cannot be used as asked
    └── OptionError           command-line options that do not go together

Exit codes (the CLI's policy, `docs/reliability.md`): 0 success, even when rows were quarantined;
1 an input unusable as a whole (a usage file, a price sheet, a database); 2 a usage error (options
that make no sense or do not go together, an unknown name given on the command line: a model, a
GPU, a plan, a case, a group-by column).
Each class carries its code as `exit_code`.

`RecordError` is apart: one input record that cannot become a ledger row. Readers raise it and
the ledger turns it into a quarantined row with its reason; it never reaches a caller.
"""

from __future__ import annotations

__all__ = [
    "ArchitectureError",
    "CaseError",
    "CostError",
    "DeploymentError",
    "GpuCatalogError",
    "InferonomicsError",
    "InputError",
    "LeverError",
    "OptionError",
    "PlanError",
    "PriceBookError",
    "RecordError",
    "RollupError",
    "ServingError",
    "UnknownModelError",
]


class InferonomicsError(Exception):
    """Base of every error inferonomics raises for a problem the user can fix."""

    exit_code: int = 1
    """The CLI's exit code for it: 1 an input unusable as a whole, 2 a usage error."""


class InputError(InferonomicsError, ValueError):
    """A whole input that cannot be read (missing file, missing required column, unreadable content)."""


class PriceBookError(InferonomicsError, ValueError):
    """A price book or price sheet that cannot be loaded, with what and where."""


class UnknownModelError(PriceBookError, LookupError):
    """A model, provider or tier the price book does not know; the message names the nearest."""

    exit_code = 2  # named on the command line (--model-as, a lever's target); rows are unpriced


class RollupError(InferonomicsError, ValueError):
    """A rollup that cannot be made: an unknown column to group by, an unknown time grain."""

    exit_code = 2


class LeverError(InferonomicsError, ValueError):
    """A lever that cannot be applied as asked: says what, and what to do instead."""

    exit_code = 2


class ServingError(InferonomicsError, ValueError):
    """The serving model cannot answer as asked; the message says what to change."""

    exit_code = 2  # its inputs (model, GPU, tier, config) are named on the command line


class ArchitectureError(ServingError):
    """A config cannot be found or read; the message says which file, which field, what to do."""


class GpuCatalogError(ServingError):
    """Unknown GPU or tier, or an invalid catalogue file; the message names the nearest matches."""


class DeploymentError(ServingError):
    """A deployment that cannot be built; the message says what to change."""


class CostError(ServingError):
    """A cost that cannot be computed; the message says what to change."""


class CaseError(InferonomicsError, LookupError):
    """An unknown worked case; the message lists the known ones."""

    exit_code = 2


class PlanError(InferonomicsError, ValueError):
    """A subscription-plan file that cannot be loaded, an unknown plan, or a replay, fit, limit
    estimate or simulation that cannot be made as asked; the message says what to change."""

    exit_code = 2  # an unknown plan, a bad rate or a missing --user: named on the command line


class OptionError(InferonomicsError, ValueError):
    """Command-line options that do not go together, or an option value that makes no sense."""

    exit_code = 2


class RecordError(InferonomicsError, ValueError):
    """One input record that cannot become a ledger row; the message is the quarantine reason and
    `field` the column it is about. Caught by the ledger, which quarantines the record."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.field = field
