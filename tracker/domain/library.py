"""Built-in content: the technique library, starter plan templates and safety texts.

Pure data and two lookups; no Flask, no database. The facts follow
the shared domain notes (domain.md); the wording is the app's own. Nothing here gives a
diagnosis: the safety texts describe what to do and point to professional care.
"""

from __future__ import annotations

import copy

KINDS = ("session", "self_massage", "stretch", "heat_cold")
DOSE_KEYS = ("hold_seconds", "repetitions", "sets", "minutes", "per_side")


def _dose(hold_seconds=None, repetitions=None, sets=None, minutes=None, per_side=False):
    return {
        "hold_seconds": hold_seconds,
        "repetitions": repetitions,
        "sets": sets,
        "minutes": minutes,
        "per_side": per_side,
    }


# Cautions shared by several techniques, so the same advice reads the same everywhere.
_SHARP = "Stop if the pain turns sharp or starts spreading further down your leg."
_NOT_SPINE = "Work on the muscles beside your spine, never on the bones of the spine itself."
_SORE = "Mild soreness afterwards is usual and fades within a day or two."
_PERSIST = "If your pain lasts or gets worse, see a doctor or physiotherapist."
_NOT_INJURED = "Skip any area that is badly swollen, red and hot, or possibly broken."
_SESSION_CHECK = (
    "Don't have massage on an area with severe pain, swelling, signs of infection or a "
    "suspected fracture: check with a healthcare provider first."
)
_SESSION_SORE = (
    "Mild soreness, light bruising or brief discomfort afterwards is common and passes quickly."
)
_SESSION_PREP = (
    "Before you start, tell your therapist where your pain is, whether it runs down your "
    "leg, and about any numbness, tingling or weakness."
)
_SESSION_HEALTH = "Mention any other health conditions and the medicines you take."
_SESSION_AFTER = (
    "Afterwards, get up slowly, drink some water, and do your stretches gently if they "
    "feel comfortable."
)


TECHNIQUES: tuple[dict, ...] = (
    # --- Professional techniques: done by a therapist in a session -------------------
    {
        "slug": "swedish-massage",
        "name": "Swedish massage",
        "kind": "session",
        "body_area": "Back, hips, legs",
        "areas": ("lower_back", "glutes_hips", "thighs", "lower_legs"),
        "summary": "Long, smooth strokes that relax muscles and help circulation, "
        "good if you are sensitive to pressure.",
        "instructions": (
            _SESSION_PREP,
            "Expect long gliding strokes over your back, hips and legs, usually with oil.",
            "The pressure is light to medium: ask for lighter if anything feels like too much.",
            _SESSION_AFTER,
        ),
        "dose": _dose(minutes=60),
        "cautions": (_SESSION_CHECK, _SESSION_SORE, _PERSIST),
    },
    {
        "slug": "deep-tissue-massage",
        "name": "Deep tissue massage",
        "kind": "session",
        "body_area": "Lower back, glutes, hamstrings",
        "areas": ("lower_back", "glutes_hips", "thighs"),
        "summary": "Slow, concentrated pressure on deep muscle and connective tissue to "
        "ease long-standing tension and adhesions.",
        "instructions": (
            _SESSION_PREP,
            _SESSION_HEALTH,
            "Expect slow, firm pressure that works into the deeper layers of muscle.",
            "Some discomfort is normal but it should never be sharp: say so and your "
            "therapist will ease off.",
            "Breathe slowly and let the muscle soften instead of tensing against the pressure.",
            _SESSION_AFTER,
        ),
        "dose": _dose(minutes=60),
        "cautions": (
            "Pressure may be strong but never sharp or shooting: tell your therapist at once.",
            _SESSION_CHECK,
            _SESSION_SORE,
            _PERSIST,
        ),
    },
    {
        "slug": "trigger-point-therapy",
        "name": "Trigger point therapy",
        "kind": "session",
        "body_area": "Lower back, glutes",
        "areas": ("lower_back", "glutes_hips"),
        "summary": "Steady pressure on tight knots that send pain to other places, "
        "until they release.",
        "instructions": (
            _SESSION_PREP,
            "Your therapist finds tight knots and presses on each one for a short while.",
            "You may feel a familiar ache somewhere else while a knot is pressed: say how "
            "strong it is.",
            "Breathe out as the pressure goes in; it usually eases as the knot lets go.",
            _SESSION_AFTER,
        ),
        "dose": _dose(minutes=45),
        "cautions": (
            "Tell your therapist if the pressure sends sharp or shooting pain down your leg.",
            _SESSION_CHECK,
            _SESSION_SORE,
            _PERSIST,
        ),
    },
    {
        "slug": "neuromuscular-therapy",
        "name": "Neuromuscular therapy",
        "kind": "session",
        "body_area": "Lower back, glutes, legs",
        "areas": ("lower_back", "glutes_hips", "thighs", "lower_legs"),
        "summary": "Focused work on trigger points and the referred pain they cause, "
        "guided by how your pain travels.",
        "instructions": (
            "Describe your pain pattern: where it starts, where it travels and what makes "
            "it worse.",
            _SESSION_HEALTH,
            "Your therapist may look at your posture, then press on specific points in the "
            "muscles.",
            "Pressing one spot may be felt a little way off; say if it becomes sharp.",
            "The session may include some stretching and gentle joint movement.",
            _SESSION_AFTER,
        ),
        "dose": _dose(minutes=60),
        "cautions": (_SESSION_CHECK, _SESSION_SORE, _PERSIST),
    },
    {
        "slug": "myofascial-release",
        "name": "Myofascial release",
        "kind": "session",
        "body_area": "Lower back, hips, legs",
        "areas": ("lower_back", "glutes_hips", "thighs", "lower_legs"),
        "summary": "Slow, sustained pressure and stretch that loosen the fascia around "
        "muscles to improve flexibility.",
        "instructions": (
            _SESSION_PREP,
            "Expect slow, steady pressure and gentle stretching of the tissue, often "
            "without oil.",
            "Your therapist holds each stretch for a while and waits for the tissue to soften.",
            "It should feel like a stretch, not pain: relax and breathe.",
            "Afterwards, move gently and keep up your stretches to hold on to the new range.",
        ),
        "dose": _dose(minutes=45),
        "cautions": (_SESSION_CHECK, _SESSION_SORE, _PERSIST),
    },
    {
        "slug": "hot-stone-massage",
        "name": "Hot stone massage",
        "kind": "session",
        "body_area": "Back, glutes",
        "areas": ("lower_back", "glutes_hips", "upper_body"),
        "summary": "Smooth warm stones relax the muscles and increase blood flow.",
        "instructions": (
            _SESSION_PREP,
            "Mention any condition that dulls how well you feel heat on your skin.",
            "Warm stones are placed on your back and also used to massage.",
            "Say at once if a stone feels too hot.",
            _SESSION_AFTER,
        ),
        "dose": _dose(minutes=60),
        "cautions": (
            "Speak up straight away if a stone feels too hot.",
            "Heat is not for areas that are swollen or inflamed.",
            _SESSION_CHECK,
            _PERSIST,
        ),
    },
    {
        "slug": "lymphatic-drainage",
        "name": "Lymphatic drainage",
        "kind": "session",
        "body_area": "Back, legs",
        "areas": ("lower_back", "thighs", "lower_legs"),
        "summary": "Very gentle, rhythmic pressure that helps reduce swelling and inflammation.",
        "instructions": (
            _SESSION_PREP,
            _SESSION_HEALTH,
            "Expect very light, slow strokes that gently move the skin; much softer than "
            "other massage.",
            "The aim is to ease swelling and inflammation, not to work deep muscle.",
            "Afterwards, drink some water and rest for a few minutes before getting up.",
        ),
        "dose": _dose(minutes=45),
        "cautions": (
            "Swelling that is new or has no clear cause needs a healthcare provider's check first.",
            _SESSION_CHECK,
            _PERSIST,
        ),
    },
    {
        "slug": "sports-massage",
        "name": "Sports massage",
        "kind": "session",
        "body_area": "Hips, glutes, hamstrings",
        "areas": ("glutes_hips", "thighs"),
        "summary": "Brisk, firm work and stretching that boost circulation and ease stiff muscles.",
        "instructions": (
            _SESSION_PREP,
            "Tell your therapist about the sport or activity you do and how much.",
            "Expect a mix of brisk strokes, firmer pressure and stretches on stiff muscles.",
            "Wear loose clothing: your therapist may move and stretch your leg.",
            "Afterwards, keep moving gently and leave hard training for another day.",
        ),
        "dose": _dose(minutes=60),
        "cautions": (
            "Say so if pressure or a stretch sends pain down your leg.",
            _SESSION_CHECK,
            _SESSION_SORE,
            _PERSIST,
        ),
    },
    {
        "slug": "relaxation-massage",
        "name": "Relaxation massage",
        "kind": "session",
        "body_area": "Whole body",
        "areas": ("lower_back", "glutes_hips", "thighs", "lower_legs", "upper_body"),
        "summary": "Gentle, flowing strokes at a slow pace to lower stress and help you sleep.",
        "instructions": (
            _SESSION_PREP,
            "Ask for pillows under your knees or belly if lying flat bothers your back.",
            "Expect gentle, even strokes at an unhurried pace.",
            "The aim is to unwind, not to work on knots.",
            "Afterwards, take a few minutes before you get up.",
        ),
        "dose": _dose(minutes=60),
        "cautions": (_SESSION_CHECK, _PERSIST),
    },
    {
        "slug": "indian-head-massage",
        "name": "Indian head massage",
        "kind": "session",
        "body_area": "Head, neck, shoulders",
        "areas": ("upper_body",),
        "summary": "Seated massage of the head, neck and shoulders for stress relief.",
        "instructions": (
            "You sit in a chair, usually fully clothed.",
            "Tell your therapist about your sciatica and ask for a break if sitting gets "
            "uncomfortable.",
            "Expect massage of your scalp, neck, shoulders and upper back.",
            "It eases stress but does not work on your lower back or legs, so keep up your "
            "stretches.",
        ),
        "dose": _dose(minutes=30),
        "cautions": ("Stand up and change position if sitting brings on leg pain.", _PERSIST),
    },
    # --- Self-care: done by the client at home, between sessions --------------------
    {
        "slug": "piriformis-stretch",
        "name": "Piriformis stretch",
        "kind": "stretch",
        "body_area": "Glutes, hips",
        "areas": ("glutes_hips",),
        "summary": "Stretches the piriformis muscle deep in the buttock, which can press "
        "on the sciatic nerve when tight.",
        "instructions": (
            "Lie on your back with both knees bent and feet flat.",
            "Cross your right ankle over your left knee.",
            "Hold your left thigh and draw it gently towards your chest.",
            "Stop when you feel a stretch deep in your right buttock, and hold it.",
            "Breathe slowly, release, then repeat and switch sides.",
        ),
        "dose": _dose(hold_seconds=30, repetitions=3, per_side=True),
        "cautions": (
            "Stretch gently, within comfort: no bouncing.",
            _SHARP,
            _PERSIST,
        ),
    },
    {
        "slug": "knee-to-chest-stretch",
        "name": "Knee-to-chest stretch",
        "kind": "stretch",
        "body_area": "Lower back, glutes",
        "areas": ("lower_back", "glutes_hips"),
        "summary": "Gently stretches the lower back and buttock by drawing one knee up "
        "towards your chest.",
        "instructions": (
            "Lie on your back with your knees bent and feet flat.",
            "Hold one knee with both hands, behind the thigh.",
            "Draw it slowly towards your chest until you feel a mild stretch.",
            "Keep the other foot on the floor and your shoulders relaxed.",
            "Hold, lower slowly, then do the other leg.",
        ),
        "dose": _dose(hold_seconds=30, repetitions=3, per_side=True),
        "cautions": (
            "Stretch gently, within comfort: no bouncing.",
            _SHARP,
            _PERSIST,
        ),
    },
    {
        "slug": "seated-forward-bend",
        "name": "Seated forward bend",
        "kind": "stretch",
        "body_area": "Hamstrings, lower back",
        "areas": ("thighs", "lower_back"),
        "summary": "Lengthens the hamstrings and lower back by folding forward from the hips.",
        "instructions": (
            "Sit on the floor with your legs straight out and your knees soft.",
            "Sit tall, then lean forward from your hips, sliding your hands towards your feet.",
            "Stop at a gentle pull behind your thighs; you don't need to reach your toes.",
            "Hold, breathing slowly, then roll back up.",
        ),
        "dose": _dose(hold_seconds=30, repetitions=3),
        "cautions": (
            "If bending forward sends pain down your leg, ease off or skip this one.",
            _SHARP,
            _PERSIST,
        ),
    },
    {
        "slug": "tennis-ball-trigger-point",
        "name": "Trigger-point pressure with a ball",
        "kind": "self_massage",
        "body_area": "Lower back, glutes",
        "areas": ("lower_back", "glutes_hips"),
        "summary": "Steady pressure from a tennis ball, massage ball or fingertips "
        "releases tight knots.",
        "instructions": (
            "Put a tennis ball or massage ball between your lower back or buttock and a wall.",
            "Roll slowly until you find a tender knot.",
            "Lean into it and hold steady pressure, breathing out.",
            "Ease off, then move to the next tender spot.",
            "For more pressure, lie on the ball on the floor; fingertips also work.",
        ),
        "dose": _dose(hold_seconds=45, repetitions=3),
        "cautions": (
            _NOT_SPINE,
            "Aim for tender but bearable, never sharp.",
            _SHARP,
            _NOT_INJURED,
            _SORE,
        ),
    },
    {
        "slug": "firm-pressure-self-massage",
        "name": "Firm-pressure self-massage",
        "kind": "self_massage",
        "body_area": "Lower back, glutes",
        "areas": ("lower_back", "glutes_hips"),
        "summary": "Firm circles or long strokes with your hands or a tool loosen the "
        "muscles of the lower back and buttocks.",
        "instructions": (
            "Warm the area first with heat if you can.",
            "Use your fingers, palms, knuckles or a massage tool.",
            "Press firmly into the muscles of your lower back and buttocks.",
            "Move in small circles or long strokes, away from the spine towards the hips.",
            "Keep it firm but comfortable, and breathe slowly.",
        ),
        "dose": _dose(minutes=5),
        "cautions": (_NOT_SPINE, _SHARP, _NOT_INJURED, _SORE),
    },
    {
        "slug": "foam-roller",
        "name": "Foam roller",
        "kind": "self_massage",
        "body_area": "Lower back, glutes, hamstrings",
        "areas": ("lower_back", "glutes_hips", "thighs"),
        "summary": "Rolling slowly over a foam roller eases tight muscles in the lower "
        "back, buttocks and backs of the thighs.",
        "instructions": (
            "Put the roller under your buttocks, lower back or the backs of your thighs.",
            "Take your weight on your hands and feet so you control the pressure.",
            "Roll slowly, a few centimetres at a time.",
            "Pause on a tight spot for a few breaths, then move on.",
            "For the buttock, cross one ankle over the other knee and lean to that side.",
        ),
        "dose": _dose(minutes=3),
        "cautions": (
            "Go gently over the lower back and keep off the spine itself.",
            "Don't roll over the back of the knee.",
            _SHARP,
            _SORE,
        ),
    },
    {
        "slug": "heat-before",
        "name": "Heat before self-massage",
        "kind": "heat_cold",
        "body_area": "Lower back, glutes",
        "areas": ("lower_back", "glutes_hips"),
        "summary": "Warmth from a heating pad or warm towel relaxes the muscles before "
        "you massage or stretch them.",
        "instructions": (
            "Use a heating pad on a low setting, or a towel soaked in warm water and wrung out.",
            "Lay it over your lower back or buttocks.",
            "Keep a thin layer of cloth between the heat and your skin.",
            "Leave it on for about 15 minutes, then start your self-massage.",
        ),
        "dose": _dose(minutes=15),
        "cautions": (
            "Warm, not hot: check your skin and don't fall asleep on a heating pad.",
            "Don't use heat on an area that is swollen, or red and hot.",
            _PERSIST,
        ),
    },
    {
        "slug": "ice-after",
        "name": "Ice after self-massage",
        "kind": "heat_cold",
        "body_area": "Lower back, glutes",
        "areas": ("lower_back", "glutes_hips"),
        "summary": "A wrapped ice pack after massage helps calm inflammation in the "
        "area you worked on.",
        "instructions": (
            "Wrap an ice pack or a bag of frozen peas in a thin cloth.",
            "Place it on the sore part of your lower back or buttock.",
            "Leave it on for up to 15 minutes, then take it off.",
            "Let your skin warm back up before icing again.",
        ),
        "dose": _dose(minutes=15),
        "cautions": (
            "Always wrap ice in a cloth; never put it straight on your skin.",
            "Keep ice on for 15 to 20 minutes at most.",
            _PERSIST,
        ),
    },
)

_TECHNIQUES_BY_SLUG = {t["slug"]: t for t in TECHNIQUES}
# The body areas (tracker.domain.clinical.BODY_AREAS) each built-in technique works on.
TECHNIQUE_AREAS = {t["slug"]: t["areas"] for t in TECHNIQUES}


def technique(slug: str) -> dict:
    """Return a copy of the technique with this slug; KeyError if there is none."""
    return copy.deepcopy(_TECHNIQUES_BY_SLUG[slug])


# --- Plan templates ----------------------------------------------------------------

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def _daily() -> dict:
    return {"kind": "every_n_days", "interval": 1, "weekdays": [], "anchor": "calendar"}


def _on(*weekdays: int) -> dict:
    return {"kind": "weekly_days", "interval": 1, "weekdays": list(weekdays), "anchor": "calendar"}


def _every_weeks(n: int, weekday: int) -> dict:
    return {"kind": "every_n_weeks", "interval": n, "weekdays": [weekday], "anchor": "calendar"}


def _monthly_on(ordinal: int, weekday: int) -> dict:
    """Every month on the Nth weekday (-1: the last): never a weekend, unlike a day of
    the month."""
    return {"kind": "monthly_weekday", "interval": 1, "weekdays": [weekday],
            "anchor": "calendar", "ordinal": ordinal}


def _item(key, slug, cadence, *, time=None, note="", **dose_overrides) -> dict:
    """A plan item for a library technique: name and kind copied, dose adjustable."""
    t = _TECHNIQUES_BY_SLUG[slug]
    dose = dict(t["dose"])
    dose.update(dose_overrides)
    return {
        "key": key,
        "technique": slug,
        "name": t["name"],
        "kind": t["kind"],
        "cadence": cadence,
        "dose": dose,
        "time_of_day": time,
        "note": note,
    }


_AFTER_SESSION = "On massage days, do this gently after your session, within comfort."


def _stretches(cadence, hold, note="") -> list[dict]:
    return [
        _item("piriformis", "piriformis-stretch", cadence, time="08:00", note=note,
              hold_seconds=hold, repetitions=3),
        _item("knee-to-chest", "knee-to-chest-stretch", cadence, time="08:00", note=note,
              hold_seconds=hold, repetitions=3),
        _item("forward-bend", "seated-forward-bend", cadence, time="08:00", note=note,
              hold_seconds=hold, repetitions=3),
    ]


def _self_massage_block(cadence, hold) -> list[dict]:
    """Heat first, ball work while the muscle is warm, ice to finish."""
    return [
        _item("heat", "heat-before", cadence, time="19:00", minutes=15),
        _item("trigger-point", "tennis-ball-trigger-point", cadence, time="19:15",
              hold_seconds=hold, repetitions=3),
        _item("ice", "ice-after", cadence, time="19:30", minutes=15),
    ]


def _acute_therapist_led() -> dict:
    def massage(cadence):
        return _item("massage", "deep-tissue-massage", cadence, time="10:00", minutes=60,
                     note="Your therapist may switch to Swedish massage if pressure is "
                     "hard to bear.")

    return {"phases": [
        {
            "name": "Acute",
            "exit": {"kind": "after_weeks", "n": 4},
            "items": [
                massage(_every_weeks(1, MON)),
                *_stretches(_daily(), 15, _AFTER_SESSION),
                *_self_massage_block(_daily(), 30),
            ],
        },
        {
            "name": "Improving",
            "exit": {"kind": "after_weeks", "n": 6},
            "items": [
                massage(_every_weeks(2, MON)),
                *_stretches(_daily(), 30, _AFTER_SESSION),
                *_self_massage_block(_daily(), 45),
                _item("foam-roller", "foam-roller", _daily(), time="19:20", minutes=3),
            ],
        },
        {
            "name": "Maintenance",
            "exit": {"kind": "manual"},
            "items": [
                massage(_monthly_on(4, MON)),
                *_stretches(_daily(), 30, _AFTER_SESSION),
                *_self_massage_block(_on(MON, WED, FRI), 60),
                _item("foam-roller", "foam-roller", _on(TUE, THU, SAT), time="19:00",
                      minutes=3),
            ],
        },
    ]}


def _self_guided_relief() -> dict:
    def firm_pressure(cadence, minutes):
        return _item("firm-pressure", "firm-pressure-self-massage", cadence, time="19:20",
                     minutes=minutes)

    return {"phases": [
        {
            "name": "Getting started",
            "exit": {"kind": "after_weeks", "n": 2},
            "items": [
                *_stretches(_daily(), 15),
                *_self_massage_block(_daily(), 30),
            ],
        },
        {
            "name": "Building up",
            "exit": {"kind": "symptoms", "threshold": 3.0, "drop_pct": 30},
            "items": [
                *_stretches(_daily(), 30),
                *_self_massage_block(_daily(), 45),
                firm_pressure(_daily(), 3),
                _item("foam-roller", "foam-roller", _on(TUE, THU, SAT), time="08:10",
                      minutes=3),
            ],
        },
        {
            "name": "Keeping it up",
            "exit": {"kind": "manual"},
            "items": [
                *_stretches(_on(MON, WED, FRI), 30),
                *_self_massage_block(_on(MON, WED, FRI), 60),
                firm_pressure(_on(MON, WED, FRI), 5),
                _item("foam-roller", "foam-roller", _on(TUE, SAT), time="08:10", minutes=3),
            ],
        },
    ]}


def _maintenance() -> dict:
    return {"phases": [
        {
            "name": "Maintenance",
            "exit": {"kind": "manual"},
            "items": [
                _item("massage", "deep-tissue-massage", _monthly_on(4, MON), time="10:00",
                      minutes=60),
                *_stretches(_on(MON, WED, FRI), 30),
                _item("foam-roller", "foam-roller", _on(TUE, THU), time="19:00", minutes=3),
            ],
        },
    ]}


TEMPLATES: tuple[dict, ...] = (
    {
        "slug": "acute-therapist-led",
        "name": "Acute sciatica, therapist-led",
        "description": "Weekly massage with your therapist for four weeks, every two weeks "
        "for the next six, then on the 4th Monday of each month. Daily stretches and "
        "self-massage in between, with longer holds as you improve.",
        "self_guided": False,
        "spec": _acute_therapist_led(),
    },
    {
        "slug": "self-guided-relief",
        "name": "Self-guided sciatica relief",
        "description": "For when you have no therapist: daily gentle stretches and "
        "self-massage with heat before and ice after, building up once the routine is "
        "easy and your pain has eased. Check with a healthcare provider before starting.",
        "self_guided": True,
        "spec": _self_guided_relief(),
    },
    {
        "slug": "maintenance",
        "name": "Maintenance",
        "description": "A massage on the 4th Monday of each month, stretches three times a "
        "week and the foam roller twice a week, to keep symptoms from coming back.",
        "self_guided": False,
        "spec": _maintenance(),
    },
)

_TEMPLATES_BY_SLUG = {t["slug"]: t for t in TEMPLATES}


def template(slug: str) -> dict:
    """Return a copy of the template with this slug; KeyError if there is none."""
    return copy.deepcopy(_TEMPLATES_BY_SLUG[slug])


# --- Safety content ----------------------------------------------------------------
# Warning signs ("red flags") are standard clinical guidance rather than part of the
# massage texts; what each one calls for, with its source, is in tracker.domain.clinical. They are
# asked as yes/no questions at every opportunity the client takes ("Something's wrong", or
# a check-in that says something is new or worrying); a yes shows the urgent-care text.

_CAUDA_EQUINA_WHY = "With back pain, this can mean a nerve needs urgent medical attention."

RED_FLAGS: tuple[dict, ...] = (
    {
        "key": "bladder_bowel",
        "question": "Have you had any new problem controlling your bladder or bowels, or new "
        "difficulty passing urine?",
        "why": _CAUDA_EQUINA_WHY,
    },
    {
        "key": "saddle_numbness",
        "question": "Do you have new numbness in your groin, buttocks or inner thighs (the "
        "area that would touch a saddle)?",
        "why": _CAUDA_EQUINA_WHY,
    },
    {
        "key": "both_legs",
        "question": "Do you now have pain, numbness, tingling or weakness in both legs?",
        "why": _CAUDA_EQUINA_WHY,
    },
    {
        # The key predates numbness being part of the question; kept so stored answers
        # keep their meaning.
        "key": "worsening_weakness",
        "question": "Is weakness or numbness in your leg or foot worse than when you last "
        "told us?",
        "why": _CAUDA_EQUINA_WHY,
    },
    {
        "key": "fever",
        "question": "Do you have a fever, or feel generally unwell, along with your back pain?",
        "why": "Back pain with a fever can be a sign of infection that needs a doctor "
        "the same day.",
    },
    {
        "key": "trauma",
        "question": "Did your back pain start or get worse after a fall, an accident or "
        "another injury?",
        "why": "After a fall or accident, an injury needs to be ruled out by a doctor "
        "before any massage or stretching.",
    },
)

# What to do now, by urgency (tracker.domain.clinical.RED_FLAG_URGENCY says which applies).
EMERGENCY_TEXT = (
    "Please get emergency medical help now: go to an emergency department or call your "
    "local emergency number. Don't wait for your next appointment.\n\n"
    "One of your answers is on the list of warning signs that need a doctor to check you "
    "straight away. This app can't tell what is causing it, and this is not a diagnosis."
)
SAME_DAY_TEXT = (
    "Please see a doctor today: ask your doctor's practice for an urgent same-day "
    "appointment, or go to an urgent care service. If you feel very unwell or it gets "
    "worse, go to an emergency department or call your local emergency number.\n\n"
    "One of your answers is on the list of warning signs that a doctor should check the "
    "same day. This app can't tell what is causing it, and this is not a diagnosis."
)
WARNING_PAUSE_TEXT = (
    "Your whole plan is paused until you have been checked: stretches, self-massage, heat "
    "and ice, and massage sessions."
)
# Whoever reads it: the client of a therapist, or a client following a plan on their own.
WARNING_TOLD_THERAPIST = (
    "Your therapist has been told, and will restart your plan once you have been checked."
)
WARNING_SELF_GUIDED = (
    "When a healthcare professional has checked you and said you can go on, you can "
    "restart your plan here."
)

CONTRAINDICATIONS: tuple[dict, ...] = (
    {
        "key": "severe_pain",
        "question": "Do you have severe pain in the area you are about to massage or stretch?",
        "advice": "Pause massage on that area and talk to a healthcare provider before "
        "going on.",
    },
    {
        "key": "swelling",
        "question": "Is the area swollen?",
        "advice": "Pause massage on the swollen area and have a healthcare provider look "
        "at it first.",
    },
    {
        "key": "infection",
        "question": "Are there signs of infection: redness, heat in the skin, or a fever?",
        "advice": "Pause massage on that area and see a healthcare provider.",
    },
    {
        "key": "fracture",
        "question": "Do you have a known or possible broken bone in that area?",
        "advice": "Don't massage or stretch that area; get it checked by a healthcare "
        "provider.",
    },
    {
        "key": "serious_condition",
        "question": "Do you have another serious medical problem, new or getting worse?",
        "advice": "Pause your massage plan and check with a healthcare provider that it "
        "is safe to go on.",
    },
)

# Shown after a problem in the treated area, below its own advice.
AREA_PAUSE_TEXT = (
    "Your massage sessions, and the self-care that works on that area (heat, ice, ball "
    "pressure, the foam roller, firm pressure and stretches there), are paused."
)
AREA_TOLD_THERAPIST = (
    "Your therapist has been told and will restart them once the problem has been looked at."
)
AREA_SELF_GUIDED = (
    "When a healthcare provider has looked at it and said you can go on, you can restart "
    "them here."
)

SIDE_EFFECTS_TEXT = (
    "After massage it is common to feel a little sore or stiff, to have light bruising, "
    "or brief discomfort. This usually passes within a day or two.\n\n"
    "Gentle stretching or some warmth, such as a heating pad, can help it settle.\n\n"
    "If you have severe pain or anything that feels unusual, contact your therapist or a "
    "healthcare provider. If your pain lasts or keeps getting worse, see a doctor or "
    "physiotherapist."
)

START_ADVICE = (
    "Before starting a massage and stretch plan, check with a healthcare provider, "
    "especially if you have other health conditions or your symptoms are severe.\n\n"
    "Massage works alongside physical therapy and any medicine you have been given; it "
    "does not replace them. Keep following the advice of the people treating you."
)


def paragraphs(text: str) -> tuple[str, ...]:
    """Split one of the *_TEXT / START_ADVICE strings into paragraphs for display."""
    return tuple(p.strip() for p in text.split("\n\n") if p.strip())
