"""Reports: one self-contained HTML file from an output folder, for people who never open a terminal.

A report reads what ``caseload-sim run`` or ``caseload-sim compare`` wrote and never
re-runs the model (:mod:`caseload_sim.report.folder`); it turns the tables into words,
tables and plotly figures (:mod:`caseload_sim.report.kpis`,
:mod:`caseload_sim.report.figures`) and assembles one HTML page that opens offline in
any browser (:mod:`caseload_sim.report.html`)::

    from caseload_sim.report import read_output_folder, render_report, write_report_file

    folder = read_output_folder("out/compare-baseline-cap12")
    write_report_file("out/compare-baseline-cap12/report.html", render_report(folder))

Everything but the two functions that read and write files is pure.
"""

from caseload_sim.lazy import lazy_attributes

# Loaded on first use (PEP 562), so that the terminal's tables (report.terminal) and the
# KPI words (report.kpis) do not pull in plotly with the HTML report.
_WHERE = {
    "OutputFolder": "caseload_sim.report.folder",
    "ReportInputError": "caseload_sim.report.folder",
    "read_output_folder": "caseload_sim.report.folder",
    "write_report_file": "caseload_sim.report.folder",
    "ReportWarning": "caseload_sim.report.html",
    "render_report": "caseload_sim.report.html",
    "report_warnings": "caseload_sim.report.html",
}


__getattr__ = lazy_attributes(__name__, _WHERE)


__all__ = [
    "OutputFolder",
    "ReportInputError",
    "ReportWarning",
    "read_output_folder",
    "render_report",
    "report_warnings",
    "write_report_file",
]
