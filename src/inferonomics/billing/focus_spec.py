"""FOCUS 1.3 as data: the cost-and-usage columns and their rules (feature levels, types,
nullability, allowed values), and the columns of the export and of the simulated-savings dataset.
Read by the exporter (`billing/focus.py`) and the validator (`billing/focus_rules.py`).

Source: the FOCUS specification's column pages (FinOps-Open-Cost-and-Usage-Spec/FOCUS_Spec,
`specification/datasets/cost_and_usage/columns/*.md`).
"""

from __future__ import annotations

import pyarrow as pa

from inferonomics.ledger.schema import MONEY_TYPE

FOCUS_VERSION = "1.3"

MANDATORY = (
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "HostProviderName",
    "InvoiceIssuerName",
    "ListCost",
    "ListUnitPrice",
    "PricingCategory",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "ServiceCategory",
    "ServiceName",
    "ServiceProviderName",
)
"""Columns every FOCUS 1.3 cost-and-usage dataset has (ProviderName and PublisherName are
deprecated in 1.3 but still required)."""

OPTIONAL = (
    "AllocatedMethodDetails",
    "AllocatedMethodId",
    "AllocatedResourceId",
    "AllocatedResourceName",
    "AllocatedTags",
    "AvailabilityZone",
    "BillingAccountType",
    "CapacityReservationId",
    "CapacityReservationStatus",
    "ChargeFrequency",
    "CommitmentDiscountCategory",
    "CommitmentDiscountId",
    "CommitmentDiscountName",
    "CommitmentDiscountQuantity",
    "CommitmentDiscountStatus",
    "CommitmentDiscountType",
    "CommitmentDiscountUnit",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractApplied",
    "InvoiceId",
    "PricingCurrency",
    "PricingCurrencyContractedUnitPrice",
    "PricingCurrencyEffectiveCost",
    "PricingCurrencyListUnitPrice",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceSubcategory",
    "SkuId",
    "SkuMeter",
    "SkuPriceDetails",
    "SkuPriceId",
    "SubAccountId",
    "SubAccountName",
    "SubAccountType",
    "Tags",
)
"""Conditional and recommended columns: checked when present."""

DECIMAL = {
    "BilledCost",
    "CommitmentDiscountQuantity",
    "ConsumedQuantity",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "ListCost",
    "ListUnitPrice",
    "PricingCurrencyContractedUnitPrice",
    "PricingCurrencyEffectiveCost",
    "PricingCurrencyListUnitPrice",
    "PricingQuantity",
}
DATETIME = {"BillingPeriodEnd", "BillingPeriodStart", "ChargePeriodEnd", "ChargePeriodStart"}
JSON_OBJECT = {"Tags", "SkuPriceDetails", "AllocatedMethodDetails", "AllocatedTags", "ContractApplied"}
NOT_NULL = {
    "BilledCost",
    "BillingAccountId",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "ContractedCost",
    "EffectiveCost",
    "HostProviderName",
    "InvoiceIssuerName",
    "ListCost",
    "ProviderName",
    "ServiceCategory",
    "ServiceName",
    "ServiceProviderName",
    "ServiceSubcategory",
    "ChargeFrequency",
}
ALLOWED = {
    "ChargeCategory": {"Usage", "Purchase", "Tax", "Credit", "Adjustment"},
    "ChargeClass": {"Correction"},
    "ChargeFrequency": {"One-Time", "Recurring", "Usage-Based"},
    "PricingCategory": {"Standard", "Dynamic", "Committed", "Other"},
    "CommitmentDiscountStatus": {"Used", "Unused"},
    "CommitmentDiscountCategory": {"Spend", "Usage"},
    "CapacityReservationStatus": {"Used", "Unused"},
}
SUBCATEGORIES = {
    "AI and Machine Learning": (
        "AI Platforms", "Bots", "Generative AI", "Machine Learning", "Natural Language Processing",
        "Other (AI and Machine Learning)",
    ),
    "Analytics": (
        "Analytics Platforms", "Business Intelligence", "Data Processing", "Search", "Streaming Analytics",
        "Other (Analytics)",
    ),
    "Business Applications": ("Productivity and Collaboration", "Other (Business Applications)"),
    "Compute": (
        "Containers", "End User Computing", "Quantum Compute", "Serverless Compute", "Virtual Machines",
        "Other (Compute)",
    ),
    "Databases": (
        "Caching", "Data Warehouses", "Ledger Databases", "NoSQL Databases", "Relational Databases",
        "Time Series Databases", "Other (Databases)",
    ),
    "Developer Tools": (
        "Developer Platforms", "Continuous Integration and Deployment", "Development Environments",
        "Source Code Management", "Quality Assurance", "Other (Developer Tools)",
    ),
    "Identity": ("Identity and Access Management", "Other (Identity)"),
    "Integration": ("API Management", "Messaging", "Workflow Orchestration", "Other (Integration)"),
    "Internet of Things": ("IoT Analytics", "IoT Platforms", "Other (Internet of Things)"),
    "Management and Governance": (
        "Architecture", "Compliance", "Cost Management", "Data Governance", "Disaster Recovery",
        "Endpoint Management", "Observability", "Support", "Other (Management and Governance)",
    ),
    "Media": ("Content Creation", "Gaming", "Media Streaming", "Mixed Reality", "Other (Media)"),
    "Migration": ("Data Migration", "Resource Migration", "Other (Migration)"),
    "Mobile": ("Other (Mobile)",),
    "Multicloud": ("Multicloud Integration", "Other (Multicloud)"),
    "Networking": (
        "Application Networking", "Content Delivery", "Network Connectivity", "Network Infrastructure",
        "Network Routing", "Network Security", "Other (Networking)",
    ),
    "Security": (
        "Secret Management", "Security Posture Management", "Threat Detection and Response",
        "Other (Security)",
    ),
    "Storage": (
        "Backup Storage", "Block Storage", "File Storage", "Object Storage", "Storage Platforms",
        "Other (Storage)",
    ),
    "Web": ("Application Platforms", "Other (Web)"),
    "Other": ("Other (Other)",),
}  # fmt: skip
"""ServiceCategory → its ServiceSubcategory values (each subcategory has one parent)."""
PARENT = {sub: cat for cat, subs in SUBCATEGORIES.items() for sub in subs}
SKU_PRICE_PROPERTIES = {
    "CoreCount",
    "DiskMaxIops",
    "DiskSpace",
    "DiskType",
    "GpuCount",
    "InstanceType",
    "InstanceSeries",
    "MemorySize",
    "NetworkMaxIops",
    "NetworkMaxThroughput",
    "OperatingSystem",
    "Redundancy",
    "StorageClass",
}
"""FOCUS-defined SkuPriceDetails keys; any other key must start with `x_`."""

DATETIME_TYPE = pa.timestamp("us", tz="UTC")
FOCUS_SCHEMA = pa.schema(
    [
        ("BilledCost", MONEY_TYPE),
        ("BillingAccountId", pa.string()),
        ("BillingAccountName", pa.string()),
        ("BillingCurrency", pa.string()),
        ("BillingPeriodEnd", DATETIME_TYPE),
        ("BillingPeriodStart", DATETIME_TYPE),
        ("ChargeCategory", pa.string()),
        ("ChargeClass", pa.string()),
        ("ChargeDescription", pa.string()),
        ("ChargeFrequency", pa.string()),
        ("ChargePeriodEnd", DATETIME_TYPE),
        ("ChargePeriodStart", DATETIME_TYPE),
        ("ConsumedQuantity", MONEY_TYPE),
        ("ConsumedUnit", pa.string()),
        ("ContractedCost", MONEY_TYPE),
        ("ContractedUnitPrice", MONEY_TYPE),
        ("EffectiveCost", MONEY_TYPE),
        ("HostProviderName", pa.string()),
        ("InvoiceIssuerName", pa.string()),
        ("ListCost", MONEY_TYPE),
        ("ListUnitPrice", MONEY_TYPE),
        ("PricingCategory", pa.string()),
        ("PricingQuantity", MONEY_TYPE),
        ("PricingUnit", pa.string()),
        ("ProviderName", pa.string()),
        ("PublisherName", pa.string()),
        ("RegionId", pa.string()),
        ("RegionName", pa.string()),
        ("ServiceCategory", pa.string()),
        ("ServiceName", pa.string()),
        ("ServiceProviderName", pa.string()),
        ("ServiceSubcategory", pa.string()),
        ("SkuId", pa.string()),
        ("SkuMeter", pa.string()),
        ("SkuPriceDetails", pa.string()),
        ("SkuPriceId", pa.string()),
        ("SubAccountId", pa.string()),
        ("SubAccountName", pa.string()),
        ("SubAccountType", pa.string()),
        ("Tags", pa.string()),
        ("x_ModelDeveloper", pa.string()),
        ("x_ModelId", pa.string()),
        ("x_TokenDirection", pa.string()),
        ("x_TokenCacheAction", pa.string()),
        ("x_CacheTtl", pa.string()),
        ("x_ServiceTier", pa.string()),
        ("x_IsBatch", pa.bool_()),
        ("x_RequestCount", pa.int64()),
        ("x_PriceEntry", pa.string()),
        ("x_ModelMatch", pa.string()),
    ],
    metadata={b"FocusVersion": FOCUS_VERSION.encode(), b"ProviderPrefix": b"x_"},
)
"""The export's columns: FOCUS 1.3 cost-and-usage columns (mandatory ones, and the conditional
ones a token-priced API supports) and the `x_` AI columns."""

SAVINGS_SCHEMA = pa.schema(
    [
        ("x_Scenario", pa.string()),
        ("ChargePeriodStart", DATETIME_TYPE),
        ("ChargePeriodEnd", DATETIME_TYPE),
        ("SubAccountId", pa.string()),
        ("BillingCurrency", pa.string()),
        ("x_BaselineCost", MONEY_TYPE),
        ("x_ScenarioCost", MONEY_TYPE),
        ("x_SimulatedSavings", MONEY_TYPE),
    ]
)
"""The what-if dataset: simulated costs only (no BilledCost, EffectiveCost or ListCost column),
so it cannot be summed into a bill by mistake."""
