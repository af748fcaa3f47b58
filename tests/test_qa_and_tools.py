import pytest

from mlsheet_utils.algorithms.clustering import kmeans as cluster
from mlsheet_utils.questions import interview, show_source
from mlsheet_utils.tools import book


def test_interview_hides_each_answer():
    html = interview([("q1?", "a1"), ("q2?", "a2"), ("q3?", "a3")]).html()
    assert html.count("<details") == 3 and "<summary><b>Q2.</b> q2?</summary>" in html


@pytest.mark.parametrize("questions,match", [
    ([("q", "a")] * 2, "at least 3"),
    ([("q", "a"), ("q", ""), ("q", "a")], "item 2"),
    ([("q", "a"), "oops", ("q", "a")], "item 2"),
])
def test_interview_validates(questions, match):
    with pytest.raises(ValueError, match=match):
        interview(questions)


def test_show_source_shows_code():
    md = show_source(cluster.kmeans).data
    assert "def kmeans(" in md and md.startswith("From `mlsheet_utils.algorithms.clustering.kmeans`")
    with pytest.raises(ValueError, match="cannot get the source"):
        show_source(42)


def test_slug_and_paths():
    assert book.slug("K-Means") == "k_means"
    assert book.slug("Maximum Likelihood Estimation (MLE)") == "maximum_likelihood_estimation"
    h = next(h for h in book.sections() if h.id == "3.23.1")
    assert book.notebook_path(h).relative_to(book.ROOT).as_posix() == "book/03_classical_ml/03_23_1_k_means.ipynb"


def test_order_key_rejects_unknown_id():
    with pytest.raises(ValueError, match="unknown heading"):
        book.order_key("9.9")


def test_coverage_report_counts():
    report = book.coverage_report()
    n = len(book.notebooks())
    assert report.startswith(f"{n} of 152 headings have a notebook; {152 - n} missing")


def test_new_notebook_refuses_existing_and_unknown():
    with pytest.raises(ValueError, match="exists already"):
        book.new_notebook("3.23.1")
    with pytest.raises(ValueError, match="unknown section"):
        book.new_notebook("2")


def test_progress_counts_and_estimates_the_time_left():
    import io

    out = io.StringIO()
    progress = book.Progress(12, out=out)
    progress.step("first")
    progress.step("second")
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("[ 1/12] first  (") and lines[1].startswith("[ 2/12] second  (")
    assert all("elapsed, ~" in line and line.endswith("left)") for line in lines)
    assert book._clock(5.4) == "5s" and book._clock(125) == "2m05s"


def test_notebook_client_runs_a_kernel_over_ipc(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import os; print(os.getcwd())")])
    client = book.notebook_client(nb, tmp_path / "x.ipynb", timeout=60)
    with client.setup_kernel():
        assert client.km.transport == "ipc" and client.owns_km    # the client shuts its kernel down
        client.execute_cell(nb.cells[0], 0)
        kernel = client.km
    assert nb.cells[0].outputs[0]["text"].strip() == str(tmp_path)
    assert not client.km or not client.km.has_kernel
    assert not kernel.has_kernel


def test_show_source_shows_several_objects_in_order():
    md = show_source(cluster.squared_distances, cluster.kmeans).data
    assert md.index("def squared_distances(") < md.index("def kmeans(")
    with pytest.raises(ValueError, match="at least one"):
        show_source()
