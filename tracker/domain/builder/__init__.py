"""The plan builder, pure: a draft plan kept in form fields, its actions, checks, preview and
diff. No Flask, no database, no clock.

- ``draft``: :func:`parse` reads the posted fields into a :class:`Draft`;
  :func:`draft_from_spec` shows a stored spec; :func:`to_spec` turns the draft into a spec.
- ``actions``: :func:`apply` performs one button's action (add, remove, reorder);
  :func:`scope` says which part of the draft it changed (one item, one phase, the phases).
- ``checks``: :func:`check` lets the engine judge the draft and puts each error next to its
  field; :func:`error_list` words them for the summary.
- ``preview``: :func:`preview` lists the weeks ahead as the engine computes them.
- ``diff``: :func:`describe_changes` says in plain words what an edit changes.

The names the web layer uses are re-exported here, so it imports one module.
"""
from .actions import (
    ACTIONS,
    ADDED,
    FINAL_ACTIONS,
    ITEM,
    PAIR,
    PHASE,
    PHASES,
    WHOLE,
    UnknownAction,
    action_name,
    apply,
    scope,
)
from .checks import check, error_list, open_with_errors
from .diff import describe_changes
from .draft import (
    ANCHOR_CHOICES,
    CADENCE_CHOICES,
    EXIT_CHOICES,
    ORDINAL_CHOICES,
    Draft,
    ItemDraft,
    PhaseDraft,
    Technique,
    draft_from_spec,
    form_fields,
    parse,
    scratch,
    short_dose,
    technique_groups,
    to_spec,
)
from .preview import PREVIEW_WEEKS, PreviewWeek, plan_input, preview, with_revision

__all__ = [
    "ACTIONS", "ADDED", "ANCHOR_CHOICES", "CADENCE_CHOICES", "EXIT_CHOICES", "FINAL_ACTIONS",
    "ITEM", "PAIR", "PHASE", "PHASES", "WHOLE",
    "ORDINAL_CHOICES", "PREVIEW_WEEKS", "Draft", "ItemDraft", "PhaseDraft", "PreviewWeek",
    "Technique", "UnknownAction", "action_name", "apply", "check", "describe_changes",
    "draft_from_spec", "error_list", "form_fields", "open_with_errors", "parse", "plan_input",
    "preview", "scratch", "scope", "short_dose", "technique_groups", "to_spec",
    "with_revision",
]
