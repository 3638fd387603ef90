"""A plan's printed handout: the plan and its techniques' cautions, read for the pure
builder (tracker/domain/handout.py)."""
from datetime import date

from tracker.domain import handout, schedule
from tracker.store import plans
from tracker.store.models import Plan, Technique


def of_plan(plan: Plan, day: date) -> handout.Handout:
    """The handout of ``plan`` as it stands on ``day`` (two queries beyond the plan's own)."""
    plan_input = plans.plan_input(plan)
    slugs = {item.technique for phase in schedule.spec_on(plan_input, day).phases
             for item in phase.items if item.technique}
    rows = Technique.select(Technique.slug, Technique.cautions).where(Technique.slug.in_(slugs)) \
        if slugs else []
    return handout.build(plan_input, day, {row.slug: tuple(row.cautions) for row in rows})
