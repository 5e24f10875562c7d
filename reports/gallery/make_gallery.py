"""Rebuild the gallery: screenshots of the demo and SEER-profile reports, and one PNG per
figure type, as a reviewer sees them (issue 14).

    python reports/gallery/make_gallery.py      # needs Debian's chromium for the screenshots

Figures are drawn at their print size (one column = 3.5 in) and saved at 150 dpi to keep the
committed files small.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

import matplotlib
import yaml

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).resolve().parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def save(ax, name: str) -> None:
    from crlm_outcomes.plots.style import publication_style

    with publication_style():
        ax.figure.savefig(
            HERE / f"{name}.png", dpi=150, bbox_inches="tight", metadata={"Software": None}
        )
    plt.close(ax.figure)


def figures() -> None:
    import crlm_outcomes as co
    from crlm_outcomes import stratify
    from crlm_outcomes.plots.flow import plot_flow
    from crlm_outcomes.survival.fine_gray import fine_gray

    frame = stratify.apply_all(co.load_demo())
    frame = frame[frame["liver_resection_date"].notna()]
    km = co.kaplan_meier(frame, "os_months", "os_event", by="fong_group")
    lr = co.logrank(frame, "os_months", "os_event", by="fong_group")
    save(km.plot(endpoint="os", pvalue=lr.p, median_line=True), "figure_km")
    km2 = co.kaplan_meier(frame, "rfs_months", "rfs_event", by="primary_sidedness")
    save(km2.plot(endpoint="rfs", kind="failure"), "figure_km_failure")
    cif = co.cumulative_incidence(frame, "rfs_months", "rfs_cause", by="fong_group")
    from crlm_outcomes.plots.km import time_breaks
    from crlm_outcomes.report.sections.competing_risks import risk_counts, truncation
    from crlm_outcomes.report.suppression import SuppressionPolicy

    used = frame[frame["rfs_months"].notna() & frame["fong_group"].notna()]
    end = truncation(used["rfs_months"].to_numpy(float))
    ticks = time_breaks(end)
    risk = risk_counts(
        used["rfs_months"].to_numpy(float),
        used["fong_group"],
        ticks,
        list(cif.follow_up["group"]),
        SuppressionPolicy(enabled=False),
    )
    p = dict(zip(cif.gray_test["cause"], cif.gray_test["p"], strict=True))
    save(cif.plot(risk_counts=risk, times=ticks, xmax=end, pvalues=p), "figure_cif")
    fit = co.cox(
        frame,
        "age_at_diagnosis + sex + ras_class + primary_node_positive + extrahepatic_disease",
        "os_months",
        "os_event",
    )
    save(fit.plot(), "figure_forest_cox")
    fg = fine_gray(
        frame, "age_at_diagnosis + ras_class + primary_node_positive", "rfs_months", "rfs_cause"
    )
    save(fg.plot(), "figure_forest_fine_gray")
    from crlm_outcomes.plots.style import publication_style
    from crlm_outcomes.report.sections.cox import _schoenfeld_grid

    with publication_style():
        grid = _schoenfeld_grid(fit, ["age_at_diagnosis", "sex", "ras_class"], None, "os")
    save(grid, "figure_schoenfeld")
    save(
        plot_flow(
            [
                {"label": "Records in the source file", "n": 1500},
                {
                    "label": "Records loaded",
                    "n": 1500,
                    "excluded": 0,
                    "reason": "Failed validation at load",
                },
                {
                    "label": "Liver resection performed",
                    "n": 869,
                    "excluded": 631,
                    "reason": "Not meeting: liver resection performed",
                },
                {"label": "Adult at diagnosis", "n": 869, "excluded": 0, "reason": ""},
            ]
        ),
        "figure_flow",
    )


def screenshot(page: Path, name: str, section: str = "", height: int = 1400) -> None:
    """Screenshot the top of ``page``, or only its ``section`` (the others hidden)."""
    if section:
        html = page.read_text(encoding="utf-8").replace(
            "</style>",
            "section, nav, h1, h1 + p { display: none; } "
            f"section#{section} {{ display: block; }}</style>",
            1,
        )
        page = page.with_name(f"_{section}.html")
        page.write_text(html, encoding="utf-8")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--window-size=1000,{height}",
                f"--screenshot={HERE / f'{name}.png'}",
                page.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    from PIL import Image

    png = HERE / f"{name}.png"
    Image.open(png).convert("RGB").quantize(colors=96, dither=Image.Dither.NONE).save(
        png, optimize=True
    )


def reports() -> None:
    from crlm_outcomes.datasets.registry import write_synthetic_registry
    from crlm_outcomes.report.build import DEMO_SPEC, build_report
    from crlm_outcomes.report.spec import parse_spec

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "demo"
        build_report(DEMO_SPEC, out)
        page = out / "report.html"
        screenshot(page, "report_top")
        for section, height in (
            ("table-one", 1500),
            ("km-os", 2600),
            ("cox-os_multivariable", 2400),
            ("cif-0", 1300),
            ("landmark-0", 1300),
            ("score-validation", 2200),
        ):
            screenshot(page, f"report_{section}".replace("-", "_"), section, height)
        folder = Path(tmp) / "seer"
        folder.mkdir()
        write_synthetic_registry("seer", folder / "seer.csv", n=1500, seed=7)
        spec = parse_spec(
            {
                "title": "SEER-profile report (synthetic registry export)",
                "cohort": {"source": "seer.csv", "profile": "seer"},
                "filters": [{"column": "age_at_diagnosis", "op": ">=", "value": 18}],
                "endpoints": ["os"],
                "stratifiers": ["primary_sidedness"],
                "comparison": {
                    "by": "primary_sidedness",
                    "variables": [
                        "age_at_diagnosis",
                        "sex",
                        "primary_grade",
                        "liver_mets_at_primary_diagnosis",
                    ],
                },
                "cox": [
                    {
                        "name": "os",
                        "label": "age, sex and side",
                        "endpoint": "os",
                        "formula": "age_at_diagnosis + sex + primary_sidedness",
                        "univariable": True,
                    }
                ],
            }
        )
        build_report(spec, folder / "report", base_dir=folder)
        seer = folder / "report" / "report.html"
        screenshot(seer, "report_seer_top")
        screenshot(seer, "report_seer_table_one", "table-one", 1000)
        screenshot(seer, "report_seer_km", "km-os", 1500)
        # the sections of issue 16: imputation with pooled Cox, matching, conditional survival
        data = yaml.safe_load(DEMO_SPEC.read_text(encoding="utf-8"))
        data.update(
            {
                "title": "Imputation, matching and conditional survival (synthetic cohort)",
                "endpoints": ["os"],
                "stratifiers": ["fong_group"],
                "landmarks": [],
                "competing_risks": [],
                "comparison": None,
                "score_validation": None,
                "cox": [
                    {
                        "name": "mv",
                        "endpoint": "os",
                        "ph_test": False,
                        "formula": "age_at_diagnosis + sex + cea_at_liver_diagnosis + kras_status",
                    }
                ],
                "imputation": {
                    "variables": ["cea_at_liver_diagnosis", "kras_status"],
                    "predictors": ["age_at_diagnosis", "sex"],
                    "m": 5,
                    "seed": 5,
                },
                "matching": [
                    {
                        "treatment": "neoadjuvant_chemo",
                        "caliper": 0.2,
                        "formula": "age_at_diagnosis + liver_mets_number + extrahepatic_disease",
                    }
                ],
            }
        )
        data["output"]["conditional_survival"] = {"given": [12, 24], "horizon": [36]}
        build_report(parse_spec(data), Path(tmp) / "sections")
        page = Path(tmp) / "sections" / "report.html"
        for section, height in (
            ("imputation", 1300),
            ("cox-mv", 1700),
            ("matching-1", 1700),
            ("km-os", 2600),
        ):
            screenshot(page, f"report_sections_{section}".replace("-", "_"), section, height)


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    figures()
    reports()
