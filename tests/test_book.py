"""The book: the variants table, staleness, and a smoke build of the whole book in a
copy of the repository (tiny parameters), checked in a real headless Chromium."""

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import gluecheck
import nbformat
import pytest
import yaml
from conftest import copy_book_sources

from trauma.book import paths
from trauma.book.variants import load_table
from trauma.numerics.stats import verdict_contradicts

REPO = paths.ROOT
BIN = Path(sys.executable).parent
GLUE_KEYS = {  # a few keys each template's prose needs
    "extreme_penalty": {
        "fig_overcorrection",
        "fig_boundary",
        "fig_weights",
        "fig_ratio",
        "fig_spikes",
        "tbl_predictions",
        "tbl_hypotheses",
        "ex_rho08_mean",
        "ex_normal_word",
        "dist_at_high",
        "beyond_vs_at_word",
    },
    "penalty_dynamics": {"fig_loss", "fig_ratio", "fig_weights", "fig_profile", "safe_at_trauma_lam_mean"},
    "penalty_comparison": {
        "tbl_headline",
        "tbl_final",
        "fig_comparison",
        "fig_explore",
        "realistic_correlation_rho08_mean",
        "off_manifold_adjacent_off_manifold_low",
        "realistic_effect_word",
        "stable_vs_realistic_spikes_word",
    },
    "noisy_signals": {
        "fig_metrics",
        "fig_instability",
        "fig_power",
        "fig_memorised",
        "tbl_predictions",
        "inst_in_diff_word",
        "acc_in_diff_word",
        "exponent_verdict",
        "chance_top_word",
    },
    "noisy_comparison": {
        "tbl_overview",
        "fig_explore",
        "spec_inside_word",
        "randomise_chance_word",
        "long_memorised_word",
        "prediction_counts",
    },
    "limited_dataset": {
        "fig_mse",
        "fig_generalisation",
        "fig_other",
        "tbl_comparisons",
        "tbl_predictions",
        "h_gap_change_word",
        "h_exponent_verdict",
        "gap_remaining_mean",
        "spec_power",
        "shifted_mismatch",
    },
    "limited_comparison": {
        "tbl_overview",
        "fig_explore",
        "confound_gap_word",
        "design_difference_at_two",
        "shifted_conclusion",
        "limited_fixed_gap_b_mean",
        "prediction_counts",
    },
    "catastrophic_forgetting": {
        "fig_tradeoff",
        "fig_curves",
        "fig_heatmaps",
        "tbl_pareto",
        "tbl_predictions",
        "replay_retention_word",
        "ewc_vs_replay_word",
        "pareto",
        "tbl_classes",
        "old_constant_retention",
    },
    "forgetting_comparison": {
        "tbl_overview",
        "fig_explore",
        "overlap_replay_retention_word",
        "ewc_vs_replay_success_word",
        "forgetting_default_ewc_retention_mean",
        "prediction_counts",
    },
    "findings": {"tbl_findings", "tbl_baselines", "n_predictions", "verdict_counts"},
    "reproducibility": {"tbl_runs", "tbl_environment", "total_minutes"},
}


def test_the_table_lists_the_required_variants_and_drives_the_toc():
    runs = load_table()
    expected = {
        "realistic": {},
        "pedagogical": {"hidden_dims": [16, 8], "oversample": 100},
        "capacity": {"hidden_dims": [16, 8]},
        "density": {"num_trauma": 100},
        "rumination": {"oversample": 100},
        "linear": {"hidden_dims": []},
        "off_manifold": {"trauma_placement": "off_manifold"},
        "sgd": {"optimizer": "sgd", "learning_rate": 0.01},
        "stable": {"lr_schedule": "cosine"},
    }
    for name, parameters in expected.items():
        assert runs[name].template == "extreme_penalty" and runs[name].parameters == parameters
    noisy = {
        "noisy_spec": {},
        "noisy_randomise": {"noise_model": "randomise"},
        "noisy_long": {"epochs": 200},
        "noisy_small": {"train_examples": 1000},
        "noisy_wide": {"hidden_dims": [128, 64]},
    }
    for name, parameters in noisy.items():
        assert runs[name].template == "noisy_signals" and parameters.items() <= runs[name].parameters.items()
    assert runs["noisy_comparison"].inputs == list(noisy)
    limited = {
        "limited_fixed": {},
        "limited_per_caregiver": {"design": "per_caregiver"},
        "limited_more": {"total_interactions": 5000},
        "limited_small": {"hidden_dims": [8]},
        "limited_shifted": {"headline_test_set": "shifted"},
    }
    for name, parameters in limited.items():
        assert runs[name].template == "limited_dataset" and runs[name].parameters == parameters
    assert runs["limited_comparison"].inputs == list(limited)
    forgetting = {
        "forgetting_default": {},
        "forgetting_overlap": {"overlap": 0.05},
        "forgetting_therapy": {"therapy_examples": 1500},
        "forgetting_short": {"phase1_epochs": 30},
    }
    for name, parameters in forgetting.items():
        assert runs[name].template == "catastrophic_forgetting" and runs[name].parameters == parameters
    assert runs["forgetting_comparison"].inputs == list(forgetting)
    assert runs["findings"].inputs == [
        "realistic",
        "noisy_spec",
        "limited_fixed",
        "forgetting_default",
    ]  # one headline per model
    dynamics = sorted(r.parameters["penalty"] for r in runs.values() if r.template == "penalty_dynamics")
    assert dynamics == [1, 10, 100, 1000, 10000]  # one page per penalty of the realistic variant
    toc = (REPO / "_toc.yml").read_text()
    for section in {r.section for r in runs.values()}:
        assert f"glob: book/generated/{section}/*" in toc
    for template in yaml.safe_load((REPO / "variants.yml").read_text())["templates"]:
        assert paths.template(template).exists()


def _table_with(tmp_path, change):
    table = yaml.safe_load((REPO / "variants.yml").read_text())
    change(table)
    path = tmp_path / "variants.yml"
    path.write_text(yaml.safe_dump(table, sort_keys=False))
    return load_table(path, tmp_path / "none.yml")


def test_changing_one_variant_makes_only_it_and_its_readers_stale(tmp_path):
    before = load_table(REPO / "variants.yml", tmp_path / "none.yml")

    def change(table):
        next(v for v in table["variants"] if v["name"] == "capacity")["parameters"]["hidden_dims"] = [8]

    after = _table_with(tmp_path, change)
    changed = {name for name in before if before[name].hash != after[name].hash}
    assert changed == {"capacity", "penalty_comparison", "reproducibility"}

    def change_source(table):
        next(v for v in table["variants"] if v["name"] == "realistic")["parameters"]["epochs"] = 40

    changed = {name for name, run in _table_with(tmp_path, change_source).items() if run.hash != before[name].hash}
    assert changed == {"realistic", "penalty_comparison", "findings", "reproducibility"} | {
        n for n in before if n.startswith("dynamics")
    }


def test_editing_one_models_package_leaves_the_other_models_pages_up_to_date(tmp_path):
    """In a copy of the source (imported instead of the checkout's) and of the book, with
    every run recorded as executed: a comment added to a Model 3 file makes Model 3's
    pages and the pages that read them stale, naming the file, and no other page."""
    source = tmp_path / "source"
    shutil.copytree(REPO / "trauma", source / "trauma", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "book").mkdir()
    book = copy_book_sources(tmp_path / "book")
    env = dict(os.environ, PYTHONPATH=str(source), TRAUMA_ROOT=str(book))
    env.pop("TRAUMA_SMOKE", None)
    recorded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json; from trauma.book.variants import load_table; print(json.dumps("
            "{n: [str(r.notebook), {'hash': r.hash, 'hash_parts': r.hash_parts, 'results': {}}]"
            " for n, r in load_table().items()}))",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    for notebook, metadata in json.loads(
        recorded.stdout
    ).values():  # every run as if executed, its results recorded empty
        Path(notebook).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nbformat.v4.new_notebook(metadata={"trauma": metadata}), notebook)

    def status() -> dict[str, str]:
        done = subprocess.run([str(BIN / "trauma"), "status"], env=env, capture_output=True, text=True, check=True)
        rows = [line.split(None, 3) for line in done.stdout.splitlines()[1:-1]]
        return {row[0]: " ".join(row[2:]) for row in rows}

    assert all(state.startswith("up to date") for state in status().values())
    edited = source / "trauma/limited_dataset/report.py"
    edited.write_text(edited.read_text() + "# a comment\n")
    after = status()
    stale = {name for name, state in after.items() if state.startswith("stale")}
    limited = {name for name in after if name.startswith("limited_")}
    assert stale == limited | {"findings", "reproducibility"}
    for name in limited:
        assert "trauma source changed: trauma/limited_dataset/report.py" in after[name], after[name]
    assert "limited_fixed changed" in after["findings"] and "trauma source" not in after["findings"]


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda t: t["variants"][0]["parameters"].update(optimizer="rmsprop"), "parameter 'optimizer'"),
        (lambda t: t["variants"].append(dict(t["variants"][0])), "parameter 'name'"),
        (
            lambda t: t["variants"].append(
                {"name": "dyn", "template": "penalty_dynamics", "parameters": {"penalty": 3}}
            ),
            "parameter 'penalty'",
        ),
        (lambda t: t["variants"].append({"name": "x", "template": "nope"}), "parameter 'template'"),
        (
            lambda t: t.update(templates=dict(sorted(t["templates"].items()))),
            "parameter 'templates'",
        ),  # comparison before its inputs
        (
            lambda t: t["templates"]["noisy_signals"].update(headline="realistic"),
            "parameter 'headline'",
        ),  # another model's variant
    ],
)
def test_bad_tables_are_rejected_naming_the_problem(tmp_path, change, message):
    with pytest.raises(ValueError, match=message):
        _table_with(tmp_path, change)


def test_plain_jupyter_book_build_executes_everything_and_passes_with_zero_warnings(smoke_book):
    root, _, build = smoke_book
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    assert "WARNING" not in build.stdout + build.stderr
    runs = load_table(root / "variants.yml", root / "book/generated/custom_variants.yml")
    for run in runs.values():
        notebook = root / run.notebook.relative_to(paths.ROOT)
        assert notebook.exists(), run.name
        html = root / "_build/html" / notebook.relative_to(root).with_suffix(".html")
        assert html.exists(), html


def test_every_template_produces_its_glue_keys_and_no_error_output(smoke_book):
    root, _, _ = smoke_book
    executed = {}
    for path in sorted((root / "book/generated").glob("*/*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        executed.setdefault(notebook.metadata["trauma"]["template"], []).append((path, notebook))
    assert set(executed) == set(GLUE_KEYS)
    for template, keys in GLUE_KEYS.items():
        for path, notebook in executed[template]:
            outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
            glued = {o.metadata["scrapbook"]["name"] for o in outputs if "scrapbook" in o.get("metadata", {})}
            assert keys <= glued, (path.name, keys - glued)
            assert not [o for o in outputs if o.output_type == "error" or o.get("name") == "stderr"], path.name


def test_pages_show_no_glue_debris(smoke_book):
    root, _, _ = smoke_book
    pages = list((root / "_build/html").rglob("*.html"))
    assert len(pages) > 20
    for page in pages:
        text = page.read_text()
        for debris in ("&lt;Figure size", "<Figure size", "{glue", "it/s]", "TqdmWarning", "Traceback"):
            assert debris not in text, (page.name, debris)


def _page_text(page: Path) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.read_text())).split())


def test_the_findings_page_has_every_prediction_of_every_headline_page(smoke_book):
    root, _, _ = smoke_book
    glued = {}
    for path in (root / "book/generated").glob("*/*.ipynb"):
        notebook = nbformat.read(path, as_version=4)
        variant = notebook.metadata["trauma"]["variant"]
        for cell in notebook.cells:
            for output in cell.get("outputs", []):
                name = output.get("metadata", {}).get("scrapbook", {}).get("name")
                if name in ("tbl_predictions", "tbl_findings", "tbl_baselines", "n_predictions"):
                    glued[(variant, name)] = {key.split("record/")[-1]: value for key, value in output["data"].items()}
    headlines = ["realistic", "noisy_spec", "limited_fixed", "forgetting_default"]
    rows = sum(glued[(v, "tbl_predictions")]["text/html"].split("<tbody>")[1].count("<tr>") for v in headlines)
    assert int(glued[("findings", "n_predictions")]["text/plain"]) == rows > 10
    findings = glued[("findings", "tbl_findings")]["text/html"]
    for model in (
        "Model 1: Extreme Penalty",
        "Model 2: Noisy Signals",
        "Model 3: Limited Dataset",
        "Model 4: Catastrophic Forgetting",
    ):
        assert model in findings
    body = findings.split("<tbody>")[1]
    cells = [[_cell_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in body.split("<tr>")[1:]]
    assert len(cells) == rows and all(len(row) == 3 for row in cells)  # predicted, observed, verdict
    assert not [row for row in cells if verdict_contradicts(*row)]
    text = _page_text(root / "_build/html/book/generated/findings/01_findings.html")
    assert re.search(r"Table \d+ Every prediction of every model", text)
    baselines = glued[("findings", "tbl_baselines")]["text/html"]
    assert all(f"{model}" in baselines for model in ("Model 1", "Model 2", "Model 3", "Model 4"))
    assert 'a constant "neutral"' in html.unescape(baselines) and "seed-noise floor" in baselines
    assert re.search(r"Table \d+ Each model.s headline metrics", text)


def _cell_text(cell: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split())


def test_glued_tables_are_numbered_as_tables(smoke_book):
    root, _, _ = smoke_book
    for page, tables in (
        ("penalty_comparison/01_penalty_comparison", 2),
        ("catastrophic_forgetting/01_forgetting_default", 3),
        ("variants/01_realistic", 4),
    ):
        html = (root / "_build/html/book/generated" / f"{page}.html").read_text()
        numbers = re.findall(r'<span class="caption-number">(\w+) (\d+) </span>', html)
        assert sum(kind == "Table" for kind, _ in numbers) == tables, (page, numbers)
        table_numbers = [int(n) for kind, n in numbers if kind == "Table"]
        assert table_numbers == sorted(table_numbers)
    prose = _page_text(root / "_build/html/book/generated/catastrophic_forgetting/01_forgetting_default.html")
    assert re.search(r"Table \d+ The best trade-offs", prose) and not re.search(
        r"Figure \d+ The best trade-offs", prose
    )


def test_a_variant_page_shows_its_parameters_once_and_links_its_files(smoke_book):
    root, _, _ = smoke_book
    page = root / "_build/html/book/generated/catastrophic_forgetting/02_forgetting_overlap.html"
    text = _page_text(page)
    assert len(re.findall(r"This run.s parameters", text)) == 1
    assert "overlap 0.05 0" in text  # the run's value beside the template's default
    html = page.read_text()
    assert "\\u03bb" not in html and "name = &quot;catastrophic_forgetting&quot;" not in html  # defaults cell removed
    for name in ("results.csv", "summary.csv", "tradeoff.png", "02_forgetting_overlap.ipynb"):
        link = re.search(rf'href="([^"]*_downloads/[^"]*/{re.escape(name)})"', html)
        assert link, name
        assert (page.parent / link.group(1)).resolve().stat().st_size > 0
    dynamics = _page_text(root / "_build/html/book/generated/dynamics/01_dynamics_lambda_1.html")
    assert 'title = "Dynamics at λ = 1 (the reference)"' in dynamics  # injected as typed


INTERACTIVE = {  # template: its interactive figure (a menu of every variant on the comparison pages)
    "extreme_penalty": "fig_overcorrection",
    "noisy_signals": "fig_metrics",
    "limited_dataset": "fig_generalisation",
    "catastrophic_forgetting": "fig_tradeoff",
    "penalty_comparison": "fig_explore",
    "noisy_comparison": "fig_explore",
    "limited_comparison": "fig_explore",
    "forgetting_comparison": "fig_explore",
}


def test_interactive_figures_travel_with_their_png_and_load_plotly_only_where_drawn(smoke_book):
    root, _, _ = smoke_book
    runs = load_table(root / "variants.yml")
    for run in runs.values():
        notebook = nbformat.read(root / run.notebook.relative_to(paths.ROOT), as_version=4)
        outputs = {
            o.metadata["scrapbook"]["name"]: o.data
            for cell in notebook.cells
            if cell.cell_type == "code"
            for o in cell.outputs
            if "scrapbook" in o.get("metadata", {})
        }
        page = (root / "_build/html" / run.notebook.relative_to(paths.ROOT).with_suffix(".html")).read_text()
        if run.template in INTERACTIVE:
            bundle = outputs[INTERACTIVE[run.template]]
            spec = bundle["application/papermill.record/application/vnd.plotly.v1+json"]
            assert len(spec["data"]) > 3 and bundle["application/papermill.record/image/png"].startswith("iVBOR"), (
                run.name
            )
            assert page.count('class="trauma-plotly"') == 1 and "_static/plotly.min.js" in page, run.name
        else:
            assert "trauma-plotly" not in page and "plotly.min.js" not in page, run.name
    assert "plotly.min.js" not in (root / "_build/html/book/intro.html").read_text()
    assert (root / "_build/html/_static/plotly.min.js").stat().st_size > 1_000_000


def _open(driver, url):
    from selenium.webdriver.support.wait import WebDriverWait

    driver.get(url)
    WebDriverWait(driver, 60).until(
        lambda d: (
            d.current_url == url
            and d.execute_script(
                "return document.readyState === 'complete' && Array.from(document.images).every(i => i.complete);"
            )
        )
    )


def _drawn(driver) -> list:
    """Per interactive figure: its traces' visibility and the first visible trace's y."""
    return driver.execute_script("""return Array.from(document.querySelectorAll('div.trauma-plotly')).map(g => {
        const shown = g.data.filter(t => t.visible !== false);
        return {svg: g.querySelectorAll('svg.main-svg').length,
                points: g.querySelectorAll('.scatterlayer .point').length,
                shown: shown.length, traces: g.data.length, y: JSON.stringify(shown[2].y),
                menu: (g.querySelector('.updatemenu-header text') || {}).textContent};
    });""")


def _requests(driver) -> list[str]:
    """Every URL the page requested since the last call, from Chrome's network log."""
    events = (json.loads(entry["message"])["message"] for entry in driver.get_log("performance"))
    return [event["params"]["request"]["url"] for event in events if event["method"] == "Network.requestWillBeSent"]


def _pick_from_menu(driver, index: int) -> None:
    """Open the figure's variant menu and click an entry, as a reader does."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    header = driver.find_element(By.CSS_SELECTOR, "div.trauma-plotly .updatemenu-header")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", header)  # not under the sticky page header
    ActionChains(driver).move_to_element(header).click().perform()
    WebDriverWait(driver, 10).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".updatemenu-dropdown-button")) > index
    )
    entry = driver.find_elements(By.CSS_SELECTOR, ".updatemenu-dropdown-button")[index]
    ActionChains(driver).move_to_element(entry).click().perform()


def test_the_pages_render_in_a_real_browser(smoke_book, tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.wait import WebDriverWait

    root, _, _ = smoke_book
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,2400",
        "--host-resolver-rules=MAP * ~NOTFOUND",
    ):  # every host blocked: the book must work offline
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})  # performance: every request
    shots = tmp_path_factory.mktemp("screenshots")
    generated = "book/generated/"
    pages = [
        "book/intro.html",
        "book/limited_dataset.html",
        f"{generated}variants/01_realistic.html",
        f"{generated}noisy_signals/01_noisy_spec.html",
        f"{generated}limited_dataset/01_limited_fixed.html",
        f"{generated}catastrophic_forgetting/01_forgetting_default.html",
        f"{generated}penalty_comparison/01_penalty_comparison.html",
        f"{generated}noisy_comparison/01_noisy_comparison.html",
        f"{generated}limited_comparison/01_limited_comparison.html",
        f"{generated}forgetting_comparison/01_forgetting_comparison.html",
    ]
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    try:
        for page in pages:
            url = (root / "_build/html" / page).as_uri()
            _open(driver, url)
            images = driver.execute_script(
                "return Array.from(document.images).map(i => [i.getAttribute('src'), i.complete, i.naturalWidth]);"
            )
            broken = [src for src, complete, width in images if not complete or width == 0]
            assert not broken, (page, broken)
            if page == "book/limited_dataset.html":  # formulas drawn by the MathJax copied into the book
                WebDriverWait(driver, 30).until(
                    lambda d: d.execute_script("return document.querySelectorAll('mjx-container').length") >= 4
                )
            if "generated" in page:  # one interactive figure, drawn as SVG with every seed a point
                WebDriverWait(driver, 30).until(
                    lambda d: (
                        d.execute_script("return document.querySelectorAll('div.trauma-plotly svg.main-svg').length")
                        > 0
                    )
                )
                [figure] = _drawn(driver)
                assert figure["points"] >= 2 * 3 and figure["shown"] >= 4, (page, figure)
                if "comparison" in page:  # the menu shows one variant at a time and switches to another
                    assert figure["shown"] < figure["traces"], (page, figure)
                    _pick_from_menu(driver, 1)
                    WebDriverWait(driver, 10).until(lambda d: _drawn(d)[0]["menu"] != figure["menu"])
                    switched = _drawn(driver)[0]
                    assert switched["y"] != figure["y"] and switched["svg"] > 0, (page, figure, switched)
            errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
            assert not errors, (page, errors)
            requested = _requests(driver)  # (the Resource Timing API lists nothing for file: pages)
            assert len(requested) > 10 and all(url.startswith(("file:", "data:")) for url in requested), (
                page,
                requested,
            )
            assert any(url.endswith("_static/plotly.min.js") for url in requested) == ("generated" in page), page
            shot = shots / (page.replace("/", "_") + ".png")
            assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
        print("screenshots:", *sorted(p.name for p in shots.iterdir()), sep="\n  ")
    finally:
        driver.quit()


def test_a_second_run_reuses_everything_and_clears_an_interrupted_runs_leftovers(smoke_book):
    root, env, _ = smoke_book
    status = subprocess.run([str(BIN / "trauma"), "status"], env=env, capture_output=True, text=True)
    assert (
        status.returncode == 0
        and status.stdout.splitlines()[-1]
        == f"{len(load_table(root / 'variants.yml'))} up to date of {len(load_table(root / 'variants.yml'))} runs"
    ), status.stdout
    leftovers = [
        root / "book/generated/.staging/realistic.ipynb",
        root / "book/generated/results/.realistic.partial-x1y2/results.csv",
    ]
    for path in leftovers:  # what a kill -9 in the middle of a run leaves
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("half")
    done = subprocess.run([str(BIN / "trauma"), "run", "--all"], env=env, capture_output=True, text=True)
    assert done.returncode == 0 and "up to date" in done.stdout
    assert not any(path.exists() or path.parent.exists() for path in leftovers)


def test_a_second_run_at_the_same_time_stops_naming_the_first(smoke_book):
    root, env, _ = smoke_book
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\nfrom trauma.book.pipeline import one_at_a_time\n"
            "with one_at_a_time():\n    print('held', flush=True)\n    time.sleep(60)",
        ],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        for command in (["run", "--all"], ["book"]):
            done = subprocess.run([str(BIN / "trauma"), *command], env=env, capture_output=True, text=True, timeout=120)
            assert done.returncode == 1, done.stderr
            assert f"another run is executing in this checkout (pid {holder.pid}," in done.stderr
            assert len(done.stderr.strip().splitlines()) == 1
    finally:
        holder.kill()
        holder.wait()


def test_status_and_errors_of_the_table_are_one_line(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "variants.yml").write_text(
        "templates:\n  extreme_penalty:\n    section: variants\nvariants:\n  - name: [unclosed\n"
    )
    env = dict(os.environ, TRAUMA_ROOT=str(tmp_path))
    for command in (["status"], ["run", "--all"], ["book"]):
        done = subprocess.run([str(BIN / "trauma"), *command], env=env, capture_output=True, text=True)
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert re.search(r"variants\.yml:\d+: ", done.stderr) and "Traceback" not in done.stderr
    elsewhere = {k: v for k, v in os.environ.items() if k != "TRAUMA_ROOT"}
    done = subprocess.run(
        [str(BIN / "trauma"), "status"], env=elsewhere, cwd=tmp_path / "notebooks", capture_output=True, text=True
    )
    assert done.returncode == 2 and "variants.yml:" in done.stderr  # found from the working folder upwards
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "variants.yml").unlink()
    done = subprocess.run(
        [str(BIN / "trauma"), "run", "--all"], env=elsewhere, cwd=outside, capture_output=True, text=True
    )
    assert (
        done.returncode == 2 and "no checkout of the book" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    )


def test_book_commands_without_the_book_extra_say_what_is_missing(monkeypatch, capsys):
    from trauma import cli

    monkeypatch.setattr(cli, "BOOK_MODULES", cli.BOOK_MODULES + ("no_such_module_here",))
    assert cli.main(["status"]) == 2
    error = capsys.readouterr().err
    assert "needs the book extra (missing: no_such_module_here)" in error and len(error.strip().splitlines()) == 1


def test_bad_parameters_to_trauma_run_stop_before_execution(smoke_book):
    root, env, _ = smoke_book
    before = sorted((root / "book/generated").rglob("*.ipynb"))
    for extra, name in [(["-p", "hidden_dims", "[0]"], "hidden_dims"), (["-p", "optimiser", "adam"], "optimiser")]:
        done = subprocess.run(
            [str(BIN / "trauma"), "run", "extreme_penalty", "--name", "broken", *extra],
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 2 and f"parameter {name!r}" in done.stderr
    done = subprocess.run(
        [str(BIN / "trauma"), "run", "penalty_dynamics", "--name", "dyn", "-p", "penalty", "3"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "penalties of its source variant 'realistic'" in done.stderr
    assert sorted((root / "book/generated").rglob("*.ipynb")) == before
    assert not (root / "book/generated/custom_variants.yml").exists()


def test_a_readers_variant_becomes_a_page(smoke_book):
    root, env, _ = smoke_book
    done = subprocess.run(
        [
            str(BIN / "trauma"),
            "run",
            "extreme_penalty",
            "--name",
            "mine",
            "-p",
            "hidden_dims",
            "[8]",
            "-p",
            "penalties",
            "[1, 3000]",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads((root / "book/generated/results/mine/results.json").read_text())["parameters"]["penalties"] == [
        1.0,
        3000.0,
    ]
    done = subprocess.run(
        [str(BIN / "trauma"), "run", "noisy_signals", "--name", "mine_noisy", "-p", "noise_levels", "[0.45]"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads((root / "book/generated/results/mine_noisy/results.json").read_text())["parameters"][
        "noise_levels"
    ] == [0.45]
    done = subprocess.run(
        [str(BIN / "trauma"), "run", "limited_dataset", "--name", "mine_limited", "-p", "hidden_dims", "[6]"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads((root / "book/generated/results/mine_limited/results.json").read_text())["parameters"][
        "hidden_dims"
    ] == [6]
    done = subprocess.run(
        [
            str(BIN / "trauma"),
            "run",
            "catastrophic_forgetting",
            "--name",
            "mine_forgetting",
            "-p",
            "overlap",
            "0.1",
            "-p",
            "joint",
            "false",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    parameters = json.loads((root / "book/generated/results/mine_forgetting/results.json").read_text())["parameters"]
    assert parameters["overlap"] == 0.1 and parameters["joint"] is False
    build = subprocess.run([str(BIN / "trauma"), "book"], env=env, capture_output=True, text=True)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    assert (root / "_build/html/book/generated/variants/10_mine.html").exists()
    assert (root / "_build/html/book/generated/noisy_signals/06_mine_noisy.html").exists()
    assert (root / "_build/html/book/generated/limited_dataset/06_mine_limited.html").exists()
    forgetting_page = (root / "_build/html/book/generated/catastrophic_forgetting/05_mine_forgetting.html").read_text()
    assert "drawn from the therapy region: 0.1." in " ".join(re.sub(r"<[^>]+>", "", forgetting_page).split())
    assert "mine" in (root / "_build/html/book/generated/penalty_comparison/01_penalty_comparison.html").read_text()


def test_a_readers_variant_is_listed_and_can_be_removed_but_not_a_built_in_one(smoke_book):
    root, env, _ = smoke_book
    status = subprocess.run([str(BIN / "trauma"), "status"], env=env, capture_output=True, text=True).stdout
    assert re.search(r"^mine_noisy \(yours\)\s+noisy_signals\s+up to date", status, re.M), status
    done = subprocess.run([str(BIN / "trauma"), "remove", "mine_noisy"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert not (root / "book/generated/noisy_signals/06_mine_noisy.ipynb").exists()
    assert not (root / "book/generated/results/mine_noisy").exists()
    assert "mine_noisy" not in (root / "book/generated/custom_variants.yml").read_text()
    status = subprocess.run([str(BIN / "trauma"), "status"], env=env, capture_output=True, text=True).stdout
    assert not re.search(r"^mine_noisy", status, re.M)
    assert re.search(r"^noisy_comparison\s+noisy_comparison\s+stale .* mine_noisy no longer read", status, re.M), status
    done = subprocess.run([str(BIN / "trauma"), "remove", "noisy_spec"], env=env, capture_output=True, text=True)
    assert done.returncode == 2 and "built-in variants are changed in variants.yml" in done.stderr
    assert (root / "book/generated/noisy_signals/01_noisy_spec.ipynb").exists()


def test_a_failed_run_leaves_no_page_behind(smoke_book):
    root, env, _ = smoke_book
    template = root / "notebooks/reproducibility.md"
    original = template.read_text()
    page = next((root / "book/generated/reproducibility").glob("*.ipynb"))
    try:
        template.write_text(original + '\n```{code-cell} ipython3\nraise RuntimeError("boom")\n```\n')
        done = subprocess.run([str(BIN / "trauma"), "run", "reproducibility"], env=env, capture_output=True, text=True)
        assert done.returncode == 1 and "reproducibility" in done.stderr and "boom" in done.stderr
        assert not page.exists() and not list((root / "book/generated/.staging").glob("*"))
        failed = nbformat.read(root / "book/generated/failed/reproducibility.ipynb", as_version=4)
        assert any(o.output_type == "error" for cell in failed.cells if cell.cell_type == "code" for o in cell.outputs)
    finally:
        template.write_text(original)


# Words that state a result: in prose that reports glued numbers they must be glued
# too (computed by the notebook), never typed, so a rerun cannot leave a sentence
# its own numbers contradict.
CLAIM_WORDS = {
    "more",
    "less",
    "fewer",
    "higher",
    "lower",
    "larger",
    "smaller",
    "further",
    "farther",
    "rise",
    "rises",
    "fall",
    "falls",
    "increase",
    "increases",
    "decrease",
    "decreases",
    "grows",
    "stronger",
    "weaker",
    "supported",
    "inconclusive",
    "opposite",
    "hardly",
    "barely",
    "most",
    "least",
    "exceeds",
    "dominates",
    "consistently",
}


def _prose_paragraphs(text: str):
    """Paragraphs of MyST text outside code cells and directives (figure captions
    describe, they do not claim), with their line numbers."""
    import re

    text = re.sub(r"^(`{3,}).*?^\1", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S | re.M)
    line = 1
    for block in re.split(r"(\n\s*\n)", text):
        if block.strip() and not block.lstrip().startswith(("---", "#", "|")):
            yield line, block
        line += block.count("\n")


def test_result_sentences_glue_their_comparison_words():
    import re

    sources = sorted((REPO / "book").glob("*.md")) + sorted((REPO / "notebooks").glob("*.md"))
    typed = []
    for path in sources:
        for line, paragraph in _prose_paragraphs(path.read_text()):
            if "{glue:text}" not in paragraph:
                continue  # no results in it
            # glued values, other roles, code, and quotations of the specification are not typed claims
            bare = re.sub(r"\{glue:text\}`[^`]*`|\{[a-z]+\}`[^`]*`|`[^`]*`|\"[^\"]*\"", " ", paragraph)
            words = set(re.findall(r"[a-z]+", bare.lower())) & CLAIM_WORDS
            if words:
                typed.append(f"{path.relative_to(REPO)}:{line}: {sorted(words)}")
    assert not typed, "typed comparison words in result prose (glue them):\n" + "\n".join(typed)


def _glued_pages(root: Path):
    """(page name, its markdown source, values_of, rendered HTML) of every page with a
    glued value: the executed notebooks and the book's own pages (discussion, methods)."""
    html_root = root / "_build/html/book"
    for notebook in sorted((root / "book/generated").rglob("*.ipynb")):
        page = html_root / notebook.relative_to(root / "book").with_suffix(".html")
        if not page.exists() or page.stat().st_mtime < notebook.stat().st_mtime:
            continue  # a failed run's notebook, or one that tests ran again after the build
        values = gluecheck.glued_values(notebook)
        yield notebook.stem, gluecheck.notebook_markdown(notebook), lambda path, v=values: v, page
    for source in sorted((root / "book").glob("*.md")):
        text = source.read_text()
        if "{glue:text}" in text:
            yield (
                source.stem,
                text,
                lambda path: gluecheck.glued_values(root / "book" / path),
                html_root / f"{source.stem}.html",
            )


def test_every_glued_value_stands_at_its_own_place_in_its_sentence(smoke_book):
    """Every {glue:text} role of every page: the glued value with the source's words
    around it appears in the rendered page (tests/gluecheck.py)."""
    root, _, _ = smoke_book
    pages, checked, wrong = 0, 0, []
    for name, source, values_of, page in _glued_pages(root):
        pages += 1
        checked += len(gluecheck.snippets(source, values_of))
        wrong += [(name, *miss) for miss in gluecheck.misplaced(source, values_of, page)]
    assert pages >= 30 and checked > 2000 and not wrong, wrong[:10]


def test_a_comparison_word_turned_round_is_caught_at_its_place(smoke_book):
    """The check can fail: in the discussion, one glued comparison word is turned round
    in the rendered sentence (the new word still stands elsewhere on the page, so a
    check of presence would pass) and the check names that role."""
    root, _, _ = smoke_book
    source = (root / "book/discussion.md").read_text()
    values_of = lambda path: gluecheck.glued_values(root / "book" / path)  # noqa: E731
    opposite = {
        "more": "fewer",
        "fewer": "more",
        "less": "more",
        "higher than": "lower than",
        "lower than": "higher than",
    }
    roles = {role["name"]: role for role in gluecheck.ROLE.finditer(source)}

    def turned(name):
        word = gluecheck.shown(values_of(roles[name]["path"])[name], None)
        return "more" if word.startswith("neither") else opposite.get(word)

    name, snippet = next((n, s) for n, s in gluecheck.snippets(source, values_of) if n.endswith("_word") and turned(n))
    word = gluecheck.shown(values_of(roles[name]["path"])[name], None)
    page = root / "_build/html/book/discussion.html"
    text = gluecheck.rendered_text(page)
    assert snippet in text and turned(name) in text.replace(snippet, "")
    flipped = page.with_name("discussion_turned_round.html")
    flipped.write_text(text.replace(snippet, snippet.replace(word, turned(name))))
    assert not gluecheck.misplaced(source, values_of, page)
    assert (name, snippet) in gluecheck.misplaced(source, values_of, flipped)
