"""Every KPI's definition in plain language, for the planners' HTML report.

A planner reading a report cannot open ``docs/model.md`` or the code, so the report
carries, beside each number, what it counts: over whom, over what time, in what unit,
and the caveats that change how it reads (a mean over a selected group, a Kaplan-Meier
estimate, a lower bound). The definitions here say in words what
:mod:`caseload_sim.metrics` computes (its module docstring defines every KPI, section 7
of ``docs/model.md`` has the tables); where a definition has changed, they give the
current meaning. Labels, units and groups stay in :mod:`caseload_sim.report.kpis`.

Each definition is one to three sentences of plain text (no HTML, no column names) that
names its unit. :func:`kpi_definition` gives ``""`` for a KPI not described here (a
column added later), so a newer output folder never breaks an older report.
"""

from __future__ import annotations

__all__ = ["KPI_DEFINITIONS", "kpi_definition"]

_USUAL = " Not available for the usual-services arm, whose staff are not modelled."

#: The definition of each KPI in :data:`caseload_sim.metrics.KPI_NAMES`, for a planner.
KPI_DEFINITIONS: dict[str, str] = {
    # --- placements: work, exits and retention
    "work_12m": (
        "Of the people taken onto a caseload in the measured window (early enough to be followed for a "
        "full year), the share who started a paid job within 365 days of intake (a job found while on the "
        "caseload; work held at referral does not count). Compare with the target of 65 % into work. "
        "Percent."
    ),
    "permanent_12m": (
        "Of the same people (intakes followed for a full year), the share who within 365 days of intake "
        "started a permanent job, or whose fixed-term or subsidised job the employer made permanent. "
        "Percent."
    ),
    "days_to_first_job_median": (
        "Median days from intake to the first paid job, over everyone taken in during the measured window. "
        "A Kaplan-Meier estimate: people who leave without a job or are still looking at the end count as "
        "'no job yet', so it is the time to a job if nobody left for other reasons. Days; n/a if under "
        "half are seen to find one."
    ),
    "retention_6m": (
        "Of the first jobs begun in the measured window early enough to be followed for 182 days, the "
        "share whose holder is in paid work 182 days (6 months) later: in the same job or another found "
        "while on the caseload, still followed up or already discharged to work. Percent."
    ),
    "sustained_jobs_per_year": (
        "Sustained jobs a year: first jobs begun in the measured window, all but its last year, whose "
        "holder is still in paid work (the same or another job) 365 days after the start, per year of "
        "that part of the window. Jobs per year; n/a if the window is a year or shorter."
    ),
    # --- trial-style outcomes: employment measured from intake
    "employed_6m": (
        "Of the people taken in during the measured window early enough to be followed for 6 months, the "
        "share in paid work exactly 6 months after intake: any job, including work held at referral and "
        "jobs found after leaving the service. A snapshot, as the trials report it. Percent."
    ),
    "employed_12m": (
        "Of the people taken in early enough to be followed for 12 months, the share in paid work exactly "
        "12 months (365 days) after intake, in any job (work held at referral and jobs found after the "
        "service included). A snapshot: unlike a count of job starts, it leaves out jobs lost by then. "
        "Percent."
    ),
    "employed_18m": (
        "Of the people taken in early enough in the measured window to be followed for 18 months, the "
        "share in paid work exactly 18 months after intake, in any job (work held at referral and jobs "
        "found after the service included). Percent."
    ),
    "employed_24m": (
        "Of the people taken in early enough in the measured window to be followed for 24 months, the "
        "share in paid work exactly 24 months (730 days) after intake, in any job (work held at referral "
        "and jobs found after the service included). Percent."
    ),
    "ever_worked_24m": (
        "Of the people taken in early enough in the measured window to be followed for 24 months (730 "
        "days), the share in paid work at any time in those 24 months after intake, counting work held at "
        "referral and jobs found after leaving the service. Percent."
    ),
    "never_worked_24m": (
        "Of the same people (followed for 24 months after intake), the share never in paid work in those "
        "24 months: 100 % minus the share ever in paid work. Percent."
    ),
    "months_worked_24m": (
        "Of the people taken in early enough in the measured window to be followed for 24 months, the "
        "average number of months in paid work in the 24 months after intake (any job, work held at "
        "referral included); those who never worked count as 0. Months, out of 24."
    ),
    "days_to_first_job_mean": (
        "Of the people taken in early enough to be followed for 24 months, only those who found a job in "
        "them: the "
        "average days from intake to that first job (work held at referral does not count, jobs found "
        "after leaving the service do). An average over a selected group, not over everyone. Days."
    ),
    "first_job_days_median": (
        "How long first jobs last: median days from the start of a person's first job (found on the "
        "caseload or after), begun in the measured window, to its end (job lost, left the service without "
        "work, or moved to another job). "
        "A Kaplan-Meier estimate that also uses jobs still held at the end. Days; n/a if under half end."
    ),
    "first_job_months_24m": (
        "Of the people whose first job began early enough in the measured window to be followed for 24 "
        "months, the average months in that first job in the 24 months from its start; a job still held "
        "after 24 months counts 24. Months, out of 24."
    ),
    "months_worked_from_first_job_24m": (
        "Of the same people (first job followed for 24 months), the average months in paid work, in any "
        "job, in the 24 months from the first job's start. Counted only for people who got a job, from "
        "that job, not from intake. Months, out of 24."
    ),
    # --- exits
    "exit_work_permanent_share": (
        "Of everyone who left a caseload during the measured window, the share who left to a permanent "
        "job. The seven exit shares add up to 100 %. Percent."
    ),
    "exit_work_temporary_share": (
        "Of everyone who left a caseload during the measured window, the share who left to a job that is "
        "not permanent (fixed-term or on-call). The seven exit shares add up to 100 %. Percent."
    ),
    "exit_education_share": (
        "Of everyone who left a caseload during the measured window, the share who left to education. "
        "The seven exit shares add up to 100 %. Percent."
    ),
    "exit_health_share": (
        "Of everyone who left a caseload during the measured window, the share who left for health "
        "reasons (to treatment or disability benefit). The seven exit shares add up to 100 %. Percent."
    ),
    "exit_dropout_share": (
        "Of everyone who left a caseload during the measured window, the share who dropped out (contact "
        "lost, or the person declined to go on). The seven exit shares add up to 100 %. Percent."
    ),
    "exit_time_limit_share": (
        "Of everyone who left a caseload during the measured window, the share who reached the time limit "
        "for follow-up without being in a job. The seven exit shares add up to 100 %. Percent."
    ),
    "exit_discharged_share": (
        "Of everyone who left a caseload during the measured window, the share discharged at a review for "
        "not progressing, under pressure to meet the targets. The seven exit shares add up to 100 %. "
        "Percent."
    ),
    "exits_to_work_per_fte_year": (
        "Exits to a job (permanent or not) in the measured window, per full-time specialist per year. Only "
        "filled posts count as staff (a vacant post counts nothing; a specialist off sick still counts). "
        "Compare with the target of at least 9 a year. Exits per full-time specialist-year."
    ),
    # --- flow: referrals, waiting and caseloads
    "wait_days_mean": (
        "Average days on the waiting list per person: everyone whose wait ended in the measured window "
        "(taken in, 0 days if a place was free, or left the list) and everyone still waiting at its end, "
        "with the days so far (their full wait is longer). Earlier versions left out those still waiting, "
        "so a growing list looked short. Days."
    ),
    "queue_mean": (
        "Average number of people on the waiting lists, all teams together, over the measured window "
        "(weighted by time). People."
    ),
    "caseload_mean": (
        "Average number of people on caseloads per full-time specialist over the measured window: people "
        "on caseloads divided by filled full-time posts (vacant posts excluded, specialists off sick "
        "included), each averaged over time. People per full-time specialist."
    ),
    "intakes_per_year": (
        "Number of people taken onto a caseload in the measured window, per year. People per year."
    ),
    "referrals_per_year": (
        "Number of referrals made to the service in the measured window, per year; people the case worker "
        "held back or a closed list turned away are not included. People per year."
    ),
    "time_on_caseload_mean": (
        "Average days from intake to leaving the caseload, for the people who left in the measured window, "
        "whatever the reason. Days."
    ),
    "wait_days_km_median": (
        "Median days from referral to intake for people referred in the measured window, a Kaplan-Meier "
        "estimate: those who leave the list or still wait at the end count as 'not taken in yet'. It is the "
        "wait if nobody gave up, so longer than what those taken in waited. Days; 0 if half or more start at once."
    ),
    "potential_referrals_per_year": (
        "The demand: people case workers would refer in the measured window, per year, whether or not the "
        "referral was made (some are held back or turned away because of the waiting list). People per "
        "year."
    ),
    "not_referred_share": (
        "Of the potential referrals in the measured window, the share never referred: held back by the "
        "case worker because of the waiting list, or turned away by a closed list; they go to other "
        "measures. Percent."
    ),
    "renege_share": (
        "Of the people referred in the measured window, the share who left the waiting list for another "
        "measure before being taken in, counted up to the window's end. Percent."
    ),
    "unmet_demand_share": (
        "Of the potential referrals in the measured window, the share that went to other measures: not "
        "referred, or left the waiting list by the window's end. People still waiting at the end count as "
        "met, so the true share may be somewhat higher. Percent."
    ),
    "intake_capacity_per_year": (
        "How many people the staffed caseload places can take in a year: the average number of places on "
        "filled posts times 365, divided by the average days on a caseload. Moves with the time limits as "
        "well as with the caseload cap. People per year."
    ),
    "demand_capacity_ratio": (
        "The demand (people case workers would refer a year) divided by the intake capacity a year, for "
        "the whole service. Above 1, more people need the service than the caseloads can take in, so the "
        "list grows or people go elsewhere. A ratio."
    ),
    "queue_trend_per_year": (
        "How fast the waiting list grows or shrinks over the measured window: the slope of the straight "
        "line best fitted to the number waiting. Near 0 for a list that has settled, clearly above 0 for "
        "one still growing. People per year."
    ),
    # --- workforce: stress, turnover and working time
    "turnover_annual": (
        "Share of the specialists who quit their post a year: quits in the measured window divided by the "
        "average number of filled posts, per year. 20 % means one in five leaves a year (a small team can "
        "exceed 100 %). Percent per year." + _USUAL
    ),
    "vacancy_fte_months": (
        "Staffing lost to empty posts: full-time months of vacant posts per year of the measured window. "
        "A full-time post empty for two months gives 2; a half-time post empty all year gives 6. Posts cut "
        "for good do not count. Full-time months per year." + _USUAL
    ),
    "stress_mean": (
        "The specialists' stress on a scale from 0 (none) to 1 (maximal), taken at the end of each week and "
        "averaged over all weeks of filled posts in the measured window, weeks off sick included. An "
        "index from 0 to 1."
    ),
    "stress_p90": (
        "The stress level (0 none, 1 maximal) that only the most stressed 10 % of the weeks of filled "
        "posts in the measured window exceed (90th percentile). Shows whether a tolerable average hides a "
        "group close to burnout. An index from 0 to 1."
    ),
    "overload_share": (
        "Of the weeks a specialist was at work (not vacant, not off sick) in the measured window, the share "
        "in which the caseload asked for more hours than the post had for candidates. Percent." + _USUAL
    ),
    "outside_time_share": (
        "Share of working time spent out of the office, with employers and candidates at the workplace, "
        "averaged over the weeks specialists were at work in the measured window. The method is meant to "
        "be practised mostly outside. Percent." + _USUAL
    ),
    "employer_visits_per_week": (
        "Employer visits per full-time working week, averaged over the weeks specialists were at work in "
        "the measured window; a half-time specialist's visits count double. Visits per full-time week."
    ),
    "team_target_met_share": (
        "How often a team met the target for work within a year (65 % unless set otherwise): per team and "
        "whole year, did at least that share of the year's intakes start a paid job within 365 days? "
        "Only years that can be followed a full year count. Percent of team-years." + _USUAL
    ),
    # --- costs
    "cost_nok": (
        "Total cost of the service over the measured window: specialists, method supervision, wage "
        "subsidies, mentors and inclusion grants added up. Leaves out recruitment, offices, travel and the "
        "candidates' benefits. NOK." + _USUAL
    ),
    "cost_specialists_nok": (
        "Pay, with employer costs, of the specialists over the measured window: full-time years of filled "
        "posts times the yearly cost of a full-time post. A vacant post costs nothing; a specialist off "
        "sick is paid. NOK." + _USUAL
    ),
    "cost_supervision_nok": (
        "Cost of method supervision over the measured window: weeks of filled posts times the hours of "
        "supervision each specialist receives a week times the cost per hour. NOK." + _USUAL
    ),
    "cost_wage_subsidy_nok": (
        "Wage subsidies paid over the measured window: for each subsidised job, the subsidy rate times the "
        "job's wage (a full-time wage times the average working-time share) while the subsidy runs, also "
        "after a discharge to work, until the job ends. NOK."
    ),
    "cost_mentor_nok": (
        "Mentor subsidies over the measured window: the mentor hours paid each month while a job has a "
        "mentor, times the hourly rate, plus a training cost for each trained mentor who started in the "
        "window. NOK."
    ),
    "cost_inclusion_grant_nok": (
        "Inclusion grants for the job starts in the measured window: the number of job starts times the "
        "chance a job gets a grant times the average grant (an expected cost; no grant is drawn). NOK."
    ),
    "cost_per_sustained_job_nok": (
        "All the service's cost in the measured window except its last year, divided by the sustained jobs "
        "begun in that same span, so it includes what was spent on people who never found work. NOK per "
        "sustained job; n/a without a sustained job." + _USUAL
    ),
}


def kpi_definition(kpi: str) -> str:
    """The plain-language definition of a KPI, or ``""`` for a name not described here."""
    return KPI_DEFINITIONS.get(kpi, "")
