"""Importing the shops' order exports (CSV/XLSX from 抖店, 淘宝/千牛, 快手小店, 视频号小店,
TikTok Shop, Shopify, and LiveDesk's own template) into customers and orders.

``reading`` opens files, ``columns`` maps their headers, ``values`` parses cells,
``identity`` finds the customer behind a row, ``orders_import`` runs an import as one
revertible batch. Callers use the names re-exported here.
"""

from livedesk.services.importing.columns import FIELDS, MappingError, parse_overrides
from livedesk.services.importing.orders_import import (
    FilePreview,
    ImportCancelled,
    ImportOptions,
    ImportSetupError,
    ImportSummary,
    RevertSummary,
    RowError,
    import_orders,
    inspect_file,
    revert_batch,
    write_report,
)

__all__ = [
    "FIELDS",
    "FilePreview",
    "ImportCancelled",
    "ImportOptions",
    "ImportSetupError",
    "ImportSummary",
    "MappingError",
    "RevertSummary",
    "RowError",
    "import_orders",
    "inspect_file",
    "parse_overrides",
    "revert_batch",
    "write_report",
]
