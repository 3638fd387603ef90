"""The reader's voice (domain/wording.Voice): a text about a client is said to the client on
their own pages and about them by name, never with a gendered pronoun, on a therapist's."""
import re
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.domain import plan_spec, wording
from tracker.domain.progress import PainPoint, pain_trend
from tracker.domain.wording import YOU, Change, Voice, change_line

ME, SAM, CLIENT_ID = 7, 8, 3
DANA = Voice.about("Dana", viewer_id=ME, client_zone="America/New_York",
                   viewer_zone="Europe/London")  # Dana's therapist, who made the change
OTHER = Voice.about("Dana", viewer_id=99, client_zone="Europe/London",
                    viewer_zone="Europe/London")  # another therapist of Dana's
GENDERED = re.compile(r"\b(he|she|him|her|his|hers|himself|herself)\b", re.I)


def test_the_forms_of_each_voice():
    assert (YOU.Name, YOU.name, YOU.Possessive, YOU.possessive, YOU.their) == (
        "You", "you", "Your", "your", "your")
    assert (DANA.Name, DANA.name, DANA.Possessive, DANA.possessive, DANA.their) == (
        "Dana", "Dana", "Dana's", "Dana's", "their")
    generic = Voice.about(wording.ANY_CLIENT)
    assert (generic.Name, generic.Possessive, generic.possessive) == (
        "The client", "The client's", "the client's")


@pytest.mark.parametrize(("voice", "note"), [
    (DANA, "Dana's time, America/New_York"),
    (OTHER, ""),  # the same zone: nothing to say
    (Voice("Dana", True, CLIENT_ID, "America/New_York", "America/New_York"), ""),
    (Voice.about("Dana", client_zone="", viewer_zone="UTC"), ""),
])
def test_the_zone_is_labelled_only_where_the_two_zones_differ(voice, note):
    assert voice.zone_note == note


SYMPTOMS = plan_spec.ExitRule("symptoms", threshold=4.0)


@pytest.mark.parametrize(("rule", "voice", "text"), [
    (SYMPTOMS, YOU, "when your 7-day average leg pain is 4 or lower, or it has dropped at "
                    "least 30% from your first week, and the change is confirmed"),
    (SYMPTOMS, DANA, "when Dana's 7-day average leg pain is 4 or lower, or it has dropped at "
                     "least 30% from their first week, and the change is confirmed"),
    (plan_spec.ExitRule("symptoms", drop_pct=40), DANA,
     "when it has dropped at least 40% from Dana's first week, and the change is confirmed"),
    (plan_spec.ExitRule("manual"), YOU, "when your plan is changed by hand"),
    (plan_spec.ExitRule("manual"), DANA, "when Dana's plan is changed by hand"),
    (plan_spec.ExitRule("after_weeks", 4), DANA, "after 4 weeks"),
])
def test_what_ends_a_phase_in_each_voice(rule, voice, text):
    assert wording.exit_text(rule, voice) == text


def test_a_phase_card_says_its_exit_to_any_reader():
    card = wording.PhaseCard(0, "Acute", None, None, "current", "now", False, (), (),
                             wording.exit_text(SYMPTOMS), SYMPTOMS)
    assert card.exit_for(YOU) == card.exit
    assert card.exit_for(DANA).startswith("when Dana's 7-day average leg pain")
    last = wording.PhaseCard(2, "Maintenance", None, None, "future", "later", False, (), (), "")
    assert last.exit_for(DANA) == ""


# --- the pain trend ----------------------------------------------------------------------

START = date(2026, 3, 2)


def _points(first, last, today):
    points = [PainPoint(START + timedelta(days=i), 0, leg) for i, leg in enumerate(first)]
    return points + [PainPoint(today - timedelta(days=i), 0, leg) for i, leg in enumerate(last)]


@pytest.mark.parametrize(("first", "last", "days", "you", "dana"), [
    ([], [], 20, "No pain check-ins yet.", "No pain check-ins yet."),
    ([6], [], 3,
     "Your first week sets your starting level; after it, you will see how your leg pain "
     "compares.",
     "Dana's first week sets the starting level; after it, you will see how their leg pain "
     "compares."),
    ([], [5, 5, 5], 20, "There is no check-in from your first week to compare with.",
     "There is no check-in from Dana's first week to compare with."),
    ([6], [5], 20,
     "Check in on at least 3 days a week to see how your leg pain compares with your first "
     "week.",
     "With check-ins on at least 3 days a week, Dana's leg pain can be compared with their "
     "first week."),
    ([7, 7], [4, 4, 4], 20, "Your leg pain is 3 points lower than in your first week.",
     "Dana's leg pain is 3 points lower than in their first week."),
    ([3], [5, 5, 5], 20,
     "Your leg pain is 2 points higher than in your first week; if it keeps getting worse, "
     "talk to your therapist or a healthcare provider.",
     "Dana's leg pain is 2 points higher than in their first week; if it keeps getting worse, "
     "review the plan with Dana and suggest they see a healthcare provider."),
    ([5], [4, 4, 4], 20, "Your leg pain is about the same as in your first week (1 point "
     "lower).", "Dana's leg pain is about the same as in their first week (1 point lower)."),
])
def test_the_pain_trend_in_each_voice(first, last, days, you, dana):
    today = START + timedelta(days=days)
    trend = pain_trend(_points(first, last, today), START, today)
    assert trend.summary == trend.summary_for(YOU) == you
    assert trend.summary_for(DANA) == dana


# --- the change log ----------------------------------------------------------------------

# (stored message, actor) -> (the client reads, the therapist who made it, another therapist)
LOG = [
    (("Your therapist Sam moved you to “Improving”: Deep tissue massage, every 2 weeks on "
      "Monday.", ME),
     ("Your therapist Sam moved you to “Improving”: Deep tissue massage, every 2 weeks on "
      "Monday.",
      "You moved Dana to “Improving”: Deep tissue massage, every 2 weeks on Monday.",
      "Sam moved Dana to “Improving”: Deep tissue massage, every 2 weeks on Monday.")),
    (("Your therapist Sam moved you to “Improving”.", ME),
     ("Your therapist Sam moved you to “Improving”.", "You moved Dana to “Improving”.",
      "Sam moved Dana to “Improving”.")),
    # A self-guided client confirming a step (stored as "You moved you to").
    (("You moved you to “Improving”.", CLIENT_ID),
     ("You moved to “Improving”.", "Dana moved to “Improving”.",
      "Dana moved to “Improving”.")),
    (("Your plan moved you to “Maintenance”.", None),
     ("Your plan moved you to “Maintenance”.", "The plan moved Dana to “Maintenance”.",
      "The plan moved Dana to “Maintenance”.")),
    (("Your therapist Sam gave you the plan “Acute sciatica”.", ME),
     ("Your therapist Sam gave you the plan “Acute sciatica”.",
      "You gave Dana the plan “Acute sciatica”.", "Sam gave Dana the plan “Acute sciatica”.")),
    (("You started the plan “Self-guided relief”.", CLIENT_ID),
     ("You started the plan “Self-guided relief”.",
      "Dana started the plan “Self-guided relief”.",
      "Dana started the plan “Self-guided relief”.")),
    (("You finished this plan.", CLIENT_ID),
     ("You finished this plan.", "Dana finished this plan.", "Dana finished this plan.")),
    (("Your therapist Sam kept the plan as it is.", ME),
     ("Your therapist Sam kept the plan as it is.", "You kept the plan as it is.",
      "Sam kept the plan as it is.")),
    (("Your therapist Sam paused your plan.", ME),
     ("Your therapist Sam paused your plan.", "You paused Dana's plan.",
      "Sam paused Dana's plan.")),
    (("You resumed your plan.", CLIENT_ID),
     ("You resumed your plan.", "Dana resumed their plan.", "Dana resumed their plan.")),
    (("Your therapist Sam changed your plan from 3 March: moves on when your 7-day average "
      "leg pain is 4 or lower, or it has dropped at least 30% from your first week, and the "
      "change is confirmed", ME),
     ("Your therapist Sam changed your plan from 3 March: moves on when your 7-day average "
      "leg pain is 4 or lower, or it has dropped at least 30% from your first week, and the "
      "change is confirmed",
      "You changed Dana's plan from 3 March: moves on when Dana's 7-day average leg pain is "
      "4 or lower, or it has dropped at least 30% from their first week, and the change is "
      "confirmed",
      "Sam changed Dana's plan from 3 March: moves on when Dana's 7-day average leg pain is "
      "4 or lower, or it has dropped at least 30% from their first week, and the change is "
      "confirmed")),
    (("Your therapist Sam changed your plan from 14 December.", ME),
     ("Your therapist Sam changed your plan from 14 December.",
      "You changed Dana's plan from 14 December.", "Sam changed Dana's plan from 14 December.")),
    (("Your therapist Sam restarted your plan after you were checked.", ME),
     ("Your therapist Sam restarted your plan after you were checked.",
      "You restarted Dana's plan after Dana was checked.",
      "Sam restarted Dana's plan after Dana was checked.")),
    (("You restarted your plan after you were checked.", CLIENT_ID),
     ("You restarted your plan after you were checked.",
      "Dana restarted their plan after being checked.",
      "Dana restarted their plan after being checked.")),
    (("Your whole plan is paused after the warning sign you reported, until you have been "
      "checked.", CLIENT_ID),
     ("Your whole plan is paused after the warning sign you reported, until you have been "
      "checked.",
      "Dana's whole plan is paused after the warning sign Dana reported, until Dana has been "
      "checked.",
      "Dana's whole plan is paused after the warning sign Dana reported, until Dana has been "
      "checked.")),
    (("Your sessions and the self-care on the area with a problem are paused until it has "
      "been looked at.", None),
     ("Your sessions and the self-care on the area with a problem are paused until it has "
      "been looked at.",
      "Dana's sessions and the self-care on the area with a problem are paused until it has "
      "been looked at.",
      "Dana's sessions and the self-care on the area with a problem are paused until it has "
      "been looked at.")),
    # A message in no known form (a later version's) is shown as stored.
    (("Something new happened.", None),
     ("Something new happened.", "Something new happened.", "Something new happened.")),
]


@pytest.mark.parametrize(("stored", "lines"), LOG)
def test_the_change_log_in_each_voice(stored, lines):
    message, actor = stored
    change = Change("any", message, actor)
    client_voice = Voice("Dana", True, CLIENT_ID, "America/New_York", "America/New_York")
    assert (change_line(change, client_voice), change_line(change, DANA),
            change_line(change, OTHER)) == lines


NAMES = st.text(st.characters(categories=("L", "N", "Zs", "Pd"), exclude_characters="“”"),
                min_size=1, max_size=30).map(str.strip).filter(bool)
# Free text a therapist typed (phase names, plan titles) may say "you" or "your" itself.
FREE = st.one_of(st.just("Your first steps"), st.just("you and your back"), NAMES)


def _without(text: str, *names: str) -> str:
    """``text`` with each name taken out where it stands as a whole word or words."""
    for name in names:
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", "", text)
    return text


@given(client=NAMES, therapist=NAMES, phase=FREE, title=FREE)
def test_another_therapist_never_reads_you_or_a_gendered_pronoun(client, therapist, phase,
                                                                 title):
    voice = Voice.about(client, viewer_id=99)
    for message, actor in (
        (f"Your therapist {therapist} moved you to “{phase}”.", ME),
        (f"Your therapist {therapist} gave you the plan “{title}”.", ME),
        ("You moved you to “{phase}”.", CLIENT_ID),
        (f"Your therapist {therapist} paused your plan.", ME),
        ("You restarted your plan after you were checked.", CLIENT_ID),
    ):
        line = change_line(Change("any", message, actor), voice)
        outside_quotes = re.sub(r"“[^”]*”", "", line)
        # the names come out whole (a one-letter name such as "t" is inside "the" too)
        rest = _without(outside_quotes, client, therapist)
        assert not re.search(r"\b[Yy]our?\b", rest)
        assert not GENDERED.search(rest)
        assert client in line


@given(client=NAMES, therapist=NAMES, phase=FREE)
def test_the_client_reads_the_stored_message_itself(client, therapist, phase):
    """Messages are stored worded for the client: the client reads them unchanged."""
    voice = Voice(client, True, CLIENT_ID)
    for message in (f"Your therapist {therapist} moved you to “{phase}”: Massage, monthly.",
                    f"Your therapist {therapist} changed your plan from 3 March.",
                    f"Your therapist {therapist} kept the plan as it is."):
        assert change_line(Change("any", message, ME), voice) == message


@given(client=NAMES, phase=FREE)
def test_the_therapist_who_made_a_change_reads_you(client, phase):
    voice = Voice.about(client, viewer_id=ME)
    line = change_line(Change("stepped", f"Your therapist Sam moved you to “{phase}”.", ME),
                       voice)
    assert line == f"You moved {client} to “{phase}”."


@given(name=NAMES, first=st.lists(st.integers(0, 10), max_size=7),
       last=st.lists(st.integers(0, 10), max_size=7), days=st.integers(0, 40))
def test_the_pain_trend_about_a_client_never_says_your(name, first, last, days):
    today = START + timedelta(days=days)
    trend = pain_trend(_points(first, last, today), START, today)
    about = trend.summary_for(Voice.about(name))
    # The name goes in whole wherever it is said (so any name works), and nothing else
    # says "your" or a gendered pronoun. (A one-letter name such as "t" would match inside
    # words, so the wording is checked with a placeholder name.)
    placeholder = trend.summary_for(Voice.about("Nemo"))
    assert about == placeholder.replace("Nemo", name)
    rest = placeholder.replace("Nemo", "")
    assert not re.search(r"\b[Yy]our\b", rest) and not GENDERED.search(rest)
    assert about == "No pain check-ins yet." or name in about
    assert not re.search(r"\b(Dana|their)\b", trend.summary)  # the client's own: "your"
