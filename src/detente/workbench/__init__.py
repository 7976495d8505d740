"""The analyst's workbench: services behind the scenario library, editor and live analysis.

Services take the signed-in user and check its role here, and only here; the web layer's
pages and API both stand on them. The library's services take ``(session, actor)`` like
:mod:`detente.monitor.service`.
"""

from detente.workbench.diff import Change, ChangeKind, diff_documents, diff_scenarios
from detente.workbench.documents import FieldError, validate
from detente.workbench.errors import InvalidDocumentError, VersionConflictError
from detente.workbench.library import (
    EDITORS,
    READERS,
    ImportResult,
    ScenarioSummary,
    StoredScenario,
    VersionInfo,
    create_scenario,
    delete_scenario,
    diff_versions,
    duplicate_scenario,
    export_scenario,
    get_scenario,
    history,
    import_scenario,
    list_scenarios,
    save_scenario,
)
from detente.workbench.transfer import (
    ExportFile,
    ExportFormat,
    UploadError,
    UploadTooLargeError,
    read_upload,
)

__all__ = [
    "EDITORS",
    "READERS",
    "Change",
    "ChangeKind",
    "ExportFile",
    "ExportFormat",
    "FieldError",
    "ImportResult",
    "InvalidDocumentError",
    "ScenarioSummary",
    "StoredScenario",
    "UploadError",
    "UploadTooLargeError",
    "VersionConflictError",
    "VersionInfo",
    "create_scenario",
    "delete_scenario",
    "diff_documents",
    "diff_scenarios",
    "diff_versions",
    "duplicate_scenario",
    "export_scenario",
    "get_scenario",
    "history",
    "import_scenario",
    "list_scenarios",
    "read_upload",
    "save_scenario",
    "validate",
]
