"""Every clinical rule and threshold the app acts on, each with its source beside it.

Pure data: no Flask, no database, no clock. tracker.domain.safety, tracker.domain.symptoms and
tracker.domain.schedule read their numbers from here, so a rule is changed in one place and its
source is read in the same place. Sources:

- domain.md: the project's care notes (../shared/domain.md), sections "Safety" and
  "Outcome measures".
- NICE NG59: "Low back pain and sciatica in over 16s: assessment and management"
  (National Institute for Health and Care Excellence, 2016, updated 2020), 1.1.1: think
  about alternative diagnoses and serious underlying causes (red flags) at every
  assessment, not only the first.
- Cauda equina guidance: GIRFT/British Association of Spine Surgeons "National suspected
  cauda equina syndrome pathway" (2023) and the NHS "Cauda equina syndrome" page: new
  bladder or bowel dysfunction, saddle numbness, bilateral leg symptoms and progressive
  neurological deficit are emergencies (same-day emergency assessment).
- Spinal infection and fracture: NICE NG59 1.1.1 and NICE CKS "Back pain - low (without
  radiculopathy)", red flags: fever or feeling unwell with back pain (infection), back
  pain after significant trauma (fracture): urgent same-day medical assessment.
- IMMPACT: Dworkin et al., "Interpreting the clinical importance of treatment outcomes
  in chronic pain clinical trials: IMMPACT recommendations", J Pain 2008;9(2):105-121.
  On the 0-10 numeric rating scale a reduction of 2 points or 30% is moderately
  (clinically) important; 15% or 1 point is minimal.
"""
from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "AREA_LABELS", "BODY_AREAS", "EMERGENCY", "FLARE_UP_POINTS", "MEANINGFUL_DROP_PCT",
    "MEANINGFUL_DROP_POINTS", "MIN_CHECK_INS", "RED_FLAG_URGENCY", "SAME_DAY",
    "RESCREEN_DAYS", "SORENESS_DAYS_AFTER_SESSION", "SYMPTOM_PHASE_MIN_DAYS",
    "TREATED_AREA_PROBLEMS",
    "WINDOW_DAYS",
]

# --- warning signs (red flags) -----------------------------------------------------------
# What each warning sign calls for. Every one of them stops the whole plan (self-care,
# sessions and tapering) and alerts the therapist at once: domain.md, "Safety".
EMERGENCY = "emergency"  # go to an emergency department / call the emergency number now
SAME_DAY = "same_day"  # see a doctor today (urgent, same-day assessment)

RED_FLAG_URGENCY: Mapping[str, str] = {
    # Cauda equina guidance (GIRFT/BASS 2023; NHS): emergencies.
    "bladder_bowel": EMERGENCY,  # new loss of bladder or bowel control, or of passing urine
    "saddle_numbness": EMERGENCY,  # numbness in the groin, buttocks or inner thighs
    "both_legs": EMERGENCY,  # sciatica in both legs (bilateral radicular symptoms)
    "worsening_weakness": EMERGENCY,  # weakness or numbness getting worse (progressive deficit)
    # NICE NG59 1.1.1 and NICE CKS red flags: urgent same-day medical advice.
    "fever": SAME_DAY,  # back pain with fever or feeling unwell: possible infection
    "trauma": SAME_DAY,  # back pain after a fall or accident: possible fracture
}

# --- problems in the treated area (contraindications to massage there) -------------------
# domain.md, "Safety": severe pain, swelling, signs of infection, fracture and serious
# medical issues in the treated area pause professional sessions AND the self-care that
# works on that area; the therapist is told (not as an emergency).
TREATED_AREA_PROBLEMS = ("severe_pain", "swelling", "infection", "fracture",
                         "serious_condition")

# Body areas techniques work on, and where a client can say a problem is. A self-care item
# whose areas are unknown is treated as working on every area (the safe side).
AREA_LABELS: Mapping[str, str] = {
    "lower_back": "Lower back",
    "glutes_hips": "Buttocks and hips",
    "thighs": "Thighs (back of the leg)",
    "lower_legs": "Calves and feet",
    "upper_body": "Upper back, neck or shoulders",
}
BODY_AREAS = tuple(AREA_LABELS)

# --- pain trends (leg pain, 0-10 numeric rating scale) ----------------------------------
# IMMPACT: a drop of 2 points OR of 30% from the starting level is clinically meaningful;
# a step down to less frequent care needs one of them (domain.md: "Tapering only on real,
# uncomplicated improvement"), never only a mean under a threshold.
MEANINGFUL_DROP_POINTS = 2
MEANINGFUL_DROP_PCT = 30
# A flare-up: today's leg pain 2 points (IMMPACT's meaningful change) above the mean of the
# 7 days before or above the starting level, or back at the starting level after a week
# below it (domain.md: "A flare-up can step a plan back up"). Pain that stays at the start
# is no flare-up; it is no improvement either, so it never tapers by symptoms.
FLARE_UP_POINTS = MEANINGFUL_DROP_POINTS
WINDOW_DAYS = 7  # the starting level is the mean of the plan's first 7 days; trends are 7-day
MIN_CHECK_INS = 3  # fewer check-ins than this in a week say too little to act on
SYMPTOM_PHASE_MIN_DAYS = 7  # a symptoms exit is judged after a full week in the phase

# --- function (outcome questionnaires, issue 19) ----------------------------------------
# domain.md, "Outcome measures": function is measured with a questionnaire that has a
# published minimal clinically important difference (MCID), cited beside the instrument
# (tracker.domain.instruments: PSFS 2 points for the mean, Stratford et al. 1995).
# - A symptoms exit that also requires function is met when the score has improved by at
#   least the instrument's MCID from the plan's first complete answer to the latest one
#   (the first answer on or after the plan's start is its starting level, as the first
#   week's mean is for pain). Fewer than two answers since the start: not met.
# - A function flare-up: the latest complete answer, on the day it is given, is worse by at
#   least the MCID than the answer before it or than the plan's first answer. These are the
#   pain flare-up's two comparisons (last week; the start) with the instrument's own MCID
#   in place of IMMPACT's 2 points (domain.md: "A flare-up can step a plan back up";
#   "Tapering only on real, uncomplicated improvement ... never while ... a flare-up is
#   open"). Comparing with the previous answer alone would miss a slow slide back to below
#   the start; with the first alone, a sharp drop from a good level.
FUNCTION_COMPARED_WITH = ("previous", "first")

# --- side effects ------------------------------------------------------------------------
# domain.md, "Safety": mild soreness, bruising or brief discomfort after a massage is
# common and passes quickly; gentle stretching or heat helps. Soreness reported within
# this many days after a session is read as a side effect of it.
SORENESS_DAYS_AFTER_SESSION = 3

# --- when to ask the warning-sign questions ---------------------------------------------
# NICE NG59 1.1.1: look for red flags at every assessment, not only the first. The app asks
# at the first check-in, whenever a check-in says something is new or worrying, when
# numbness or weakness is new, and at least this often while numbness or weakness goes on.
RESCREEN_DAYS = 7
