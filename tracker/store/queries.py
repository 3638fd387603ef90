"""Ownership scopes: each query holds only what one person may reach.

The web layer fetches "this user's X, or 404" with
``get_object_or_404(scope(user), Model.id == x_id)``: ownership is in the query, never
checked after it, so another person's row and a missing one look the same.
"""
from tracker.store.models import (
    CareLink,
    Invite,
    Plan,
    PlanTemplate,
    PushSubscription,
    SessionNote,
    Technique,
    User,
)


def techniques_of(owner):
    """The therapist's own techniques (not the built-ins: those nobody may change)."""
    return Technique.select().where(Technique.owner == owner)


def techniques_seen_by(user):
    """Techniques whose "How to" page the user may open: the built-ins, their own, and those
    of the therapists they are linked to as a client (their plan may use them)."""
    therapists = CareLink.select(CareLink.therapist).where(
        (CareLink.client == user) & CareLink.active)
    return Technique.select().where(Technique.owner.is_null() | (Technique.owner == user)
                                    | Technique.owner.in_(therapists))


def templates_of(owner):
    """The therapist's own plan templates."""
    return PlanTemplate.select().where(PlanTemplate.owner == owner)


def invites_of(therapist):
    """Every invite the therapist has made, used or not."""
    return Invite.select().where(Invite.therapist == therapist)


def plans_of(client):
    """Every plan of the client's, finished ones included."""
    return Plan.select().where(Plan.client == client)


def current_plan(client):
    """The client's newest plan that is not finished (``.first()`` of it, or None)."""
    return (
        plans_of(client)
        .where(Plan.status != Plan.FINISHED)
        .order_by(Plan.start.desc(), Plan.id.desc())
    )


def plans_in_care_of(therapist):
    """The plans of the therapist's actively linked clients."""
    return (
        Plan.select()
        .join(CareLink, on=(CareLink.client == Plan.client))
        .where((CareLink.therapist == therapist) & CareLink.active)
    )


def plans_changeable_by(therapist):
    """The plans in the therapist's care that they may change: the ones they assigned.

    A plan has one author (``Plan.therapist``); a client's other linked therapists see it
    read-only. A self-guided plan has no author to overrule, so any linked therapist may
    change it, as before. Reviewing a safety report is not a change of plan: any linked
    therapist may (safety first).
    """
    return plans_in_care_of(therapist).where(
        (Plan.therapist == therapist) | Plan.therapist.is_null())


def notes_written_by(therapist):
    """The therapist's own session notes about their actively linked clients."""
    return (
        SessionNote.select()
        .join(CareLink, on=(CareLink.client == SessionNote.client))
        .where((SessionNote.therapist == therapist) & (CareLink.therapist == therapist)
               & CareLink.active)
    )


def therapist_links_of(client):
    """The client's care links, ended ones included, with each therapist loaded."""
    return (
        CareLink.select(CareLink, User)
        .join(User, on=CareLink.therapist)
        .where(CareLink.client == client)
    )


def subscriptions_of(user):
    """The user's push subscriptions (one a browser)."""
    return PushSubscription.select().where(PushSubscription.user == user)
