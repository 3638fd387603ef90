"""Outcome-measure scores over time for the pages that show them (issue 19): a client's
charts (their /progress, the therapist's client page, the printable summary) and the
roster's function trend for many clients at once, in a fixed number of queries.

The scores are the engine's (tracker.domain.instruments.score, rescored from the kept
answers as ``questionnaires.history`` does), drawn by tracker.domain.function_chart.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date

from tracker.domain import function_chart
from tracker.domain.instruments import BUILT_IN, PSFS, Instrument, score
from tracker.store import questionnaires
from tracker.store.models import Plan, QuestionnaireResponse, QuestionnaireSchedule, User

_COMPLETE = QuestionnaireResponse.status == QuestionnaireResponse.COMPLETE


def answered(client: User, instruments: Mapping[str, Instrument] = BUILT_IN) -> list[str]:
    """The ids of the instruments the client has completed at least once, in the
    catalogue's order (the built-ins first); one no longer offered is left out."""
    found = {r.instrument for r in QuestionnaireResponse.select(QuestionnaireResponse.instrument)
             .where((QuestionnaireResponse.client == client) & _COMPLETE).distinct()}
    return [i for i in instruments if i in found]


def function_views(client: User, last: date, id_prefix: str,
                   instruments: Mapping[str, Instrument] = BUILT_IN
                   ) -> list[function_chart.FunctionView]:
    """One view (chart, table, words) per instrument the client has answered, each from
    its first answer to ``last`` (the reader's today for the client)."""
    views = []
    for instrument_id in answered(client, instruments):
        view = function_chart.function_view(
            instruments[instrument_id], questionnaires.history(client, instrument_id, instruments),
            last, f"{id_prefix}-{instrument_id.replace('_', '-')}")
        if view is not None:
            views.append(view)
    return views


def _first_instruments(plan_list: Iterable[Plan]) -> dict[int, str]:
    """Each plan's first scheduled instrument by plan id (one query); a self-guided plan
    without a schedule has the default's."""
    plan_list = list(plan_list)
    first: dict[int, str] = {}
    if plan_list:
        for row in (QuestionnaireSchedule
                    .select(QuestionnaireSchedule.plan, QuestionnaireSchedule.instrument)
                    .where(QuestionnaireSchedule.plan.in_([p.id for p in plan_list]))
                    .order_by(QuestionnaireSchedule.id)):
            first.setdefault(row.plan_id, row.instrument)
    default = questionnaires.SELF_GUIDED_DEFAULT[0].instrument
    return {p.client_id: first.get(p.id) or (default if p.self_guided else "")
            for p in plan_list}


def roster_trends(client_ids: list[int], current: Mapping[int, Plan],
                  instruments: Mapping[str, Instrument] = BUILT_IN
                  ) -> dict[int, function_chart.FunctionTrend]:
    """Each client's function trend (client id -> trend), in two queries whatever their
    number: the PSFS when they have answered it, else their current plan's first
    questionnaire, else the first they have answered."""
    if not client_ids:
        return {}
    plan_first = _first_instruments(current.values())
    answers: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for row in (QuestionnaireResponse
                .select(QuestionnaireResponse.client, QuestionnaireResponse.instrument,
                        QuestionnaireResponse.day, QuestionnaireResponse.answers)
                .where(QuestionnaireResponse.client.in_(client_ids) & _COMPLETE)
                .order_by(QuestionnaireResponse.day)):
        instrument = instruments.get(row.instrument)
        if instrument is not None:
            answers[row.client_id][row.instrument].append(
                (row.day, score(instrument, row.answers)))
    trends = {}
    for client_id, by_instrument in answers.items():
        wanted = [PSFS.id, plan_first.get(client_id, ""),
                  *(i for i in instruments if i in by_instrument)]
        chosen = next(i for i in wanted if i in by_instrument)
        instrument = instruments[chosen]
        found = function_chart.trend(
            instrument, function_chart.readings(instrument, by_instrument[chosen]))
        if found is not None:
            trends[client_id] = found
    return trends
