"""Every published solution is run, so that the book's answers cannot drift from its checkers.

The ``tests/test_exercises_*.py`` files check the checkers with answers typed again in the test.
This file instead reads the solutions the reader sees: every ``{solution}`` directive of every
chapter source in ``book/src/``, and the ```` ```python ```` blocks inside it. Each solution runs
in a fresh namespace holding only the chapter's opening import cell (``np``, ``ll``, ``viz``,
``rng``) and the chapter's exercise module (``ex``), plus, when the solution uses a name the
chapter defined earlier (``train_sgd``, say), the chapter cells that define it.

* A solution to an exercise with a checker (the exercise's code cell calls
  ``ex.check_something(fn)``) must define ``fn``, and the checker must accept it.
* A solution's stated output is checked: a top-level ``print(...)`` followed by a comment that is
  a literal (``# True``, ``# 235146``, ``# (8, 15, 40) (4, 8, 20)``, optionally followed by
  ``: explanation``), on the same line or alone on the next one, must print exactly that.
  Descriptive claims ("both about 2.25, then about 36") are checked by ``STATED`` below.
* A solution may not warn, except where its text says it does.
* Solutions without code (reasoning or a prediction in prose) are found and counted, and their
  exercise must exist, but there is nothing of theirs to run.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import re
import tokenize
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import jupytext
import matplotlib.pyplot as plt
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "book" / "src").glob("*.py"))

# An opening fence of three or more backticks (or colons), the directive, its argument.
_SOLUTION = re.compile(r"^(?P<fence>`{3,}|:{3,})\{solution\}[ \t]*(?P<label>\S+)[^\n]*$", re.M)
_EXERCISE_LABEL = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{exercise\}[^\n]*\n(?::[^\n]*\n)*?:label:[ \t]*(?P<label>\S+)", re.M)
_PYTHON_BLOCK = re.compile(r"^```(?:python|py|ipython3?)[ \t]*\n(?P<code>.*?)^```[ \t]*$", re.M | re.S)
_CHECK_CALL = re.compile(r"\bex\.(?P<checker>check_\w+)\(\s*(?P<fn>[A-Za-z_]\w*)\s*\)")
_EX_IMPORT = re.compile(r"^from layers_lib\.exercises import (?P<module>\w+) as ex\s*$", re.M)
# What a stated output may look like: words that are reprs of booleans, numbers, tuples, lists.
_LITERAL = re.compile(r"^(?:(?:True|False|[-+0-9.eE(),\[\]]+)\s*)+$")


@dataclass
class Solution:
    chapter: str
    label: str
    cell: int
    text: str
    code: list[str]
    checker: str | None = None
    function: str | None = None
    ex_module: str | None = None
    setup: str = ""
    cells: list = field(default_factory=list, repr=False)

    @property
    def id(self) -> str:
        return f"{self.chapter}:{self.label}"


def _directive_body(source: str, match: re.Match) -> str:
    """The text between a directive's opening line and its closing fence of the same length."""
    fence = match.group("fence")
    closing = re.compile(rf"^{re.escape(fence)}[ \t]*$", re.M)
    end = closing.search(source, match.end())
    assert end is not None, f"unclosed {fence}{{solution}} {match.group('label')}"
    return source[match.end():end.start()]


def _opening_import_cell(cells) -> str:
    """The chapter's first visible code cell: ``import numpy as np`` ... ``rng = viz.setup(...)``."""
    for c in cells:
        if c.cell_type == "code" and "remove-cell" not in c.metadata.get("tags", []):
            assert "import layers_lib as ll" in c.source, f"unexpected first code cell:\n{c.source}"
            return c.source
    raise AssertionError("no code cell")


def _exercise_cells(cells) -> dict[str, int]:
    """Exercise label -> index of the Markdown cell that holds the exercise."""
    found = {}
    for i, c in enumerate(cells):
        if c.cell_type == "markdown":
            for m in _EXERCISE_LABEL.finditer(c.source):
                assert m.group("label") not in found, f"exercise label {m.group('label')} used twice"
                found[m.group("label")] = i
    return found


def _parse(src: Path) -> list[Solution]:
    cells = jupytext.read(src).cells
    exercise_cell = _exercise_cells(cells)
    found = []
    for i, c in enumerate(cells):
        if c.cell_type != "markdown":
            continue
        for m in _SOLUTION.finditer(c.source):
            label = m.group("label")
            body = _directive_body(c.source, m)
            sol = Solution(src.stem, label, i, body, [b.group("code") for b in _PYTHON_BLOCK.finditer(body)],
                           setup=_opening_import_cell(cells), cells=cells)
            start = exercise_cell.get(label, i)
            calls = [k for j in range(start + 1, i) if cells[j].cell_type == "code"
                     for k in _CHECK_CALL.finditer(cells[j].source)]
            assert len(calls) <= 1, f"{sol.id}: more than one checker call between exercise and solution"
            if calls:
                sol.checker, sol.function = calls[0].group("checker"), calls[0].group("fn")
                imports = [k.group("module") for j in range(i) if cells[j].cell_type == "code"
                           for k in _EX_IMPORT.finditer(cells[j].source)]
                assert imports, f"{sol.id}: a cell calls ex.{sol.checker}, but `ex` is never imported"
                sol.ex_module = imports[-1]
            found.append(sol)
    return found


SOLUTIONS = [s for src in SOURCES for s in _parse(src)]
WITH_CODE = [s for s in SOLUTIONS if s.code]
WITH_CHECKER = [s for s in SOLUTIONS if s.checker]


# ---------------------------------------------------------------------------------------------
# Running a solution
# ---------------------------------------------------------------------------------------------
@dataclass
class Run:
    namespace: dict
    stdout: str
    prints: list[tuple[int, int, str, str]]   # (block, line, what it printed, the stated comment)
    warnings: list


def _bound_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return names


def _free_names(code: str) -> set[str]:
    tree = ast.parse(code)
    loaded = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return loaded - _bound_names(tree) - set(dir(builtins))


def _top_level_bindings(code: str) -> set[str]:
    names = set()
    for stmt in ast.parse(code).body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(stmt.name)
        else:
            names |= _bound_names(stmt)
    return names


def _defining_cells(sol: Solution, missing: set[str], available: set[str]) -> list[int]:
    """Indices of the chapter's code cells before the solution that define the names in
    ``missing``, and, recursively, the names those cells need; in chapter order."""
    code_cells = [j for j, c in enumerate(sol.cells[:sol.cell])
                  if c.cell_type == "code" and "remove-cell" not in c.metadata.get("tags", [])]
    chosen, todo = set(), set(missing)
    while todo:
        name = todo.pop()
        defining = [j for j in code_cells if name in _top_level_bindings(sol.cells[j].source)]
        assert defining, f"{sol.id}: the solution uses `{name}`, which no earlier cell of the chapter defines"
        j = defining[-1]
        if j not in chosen:
            chosen.add(j)
            todo |= _free_names(sol.cells[j].source) - available
        todo -= {n for k in chosen for n in _top_level_bindings(sol.cells[k].source)}
    return sorted(chosen)


def _stated_outputs(code: str) -> dict[int, str]:
    """Line number of a top-level ``print(...)`` statement -> the literal its comment states."""
    tokens = tokenize.generate_tokens(io.StringIO(code).readline)
    comments = {t.start[0]: t.string.lstrip("#").strip() for t in tokens if t.type == tokenize.COMMENT}
    lines = code.splitlines()
    stated = {}
    for stmt in ast.parse(code).body:
        if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
                and isinstance(stmt.value.func, ast.Name) and stmt.value.func.id == "print"):
            continue
        end = stmt.end_lineno
        comment = comments.get(end)
        if comment is None and end < len(lines) and lines[end].strip().startswith("#"):
            comment = comments.get(end + 1)
        if comment is None:
            continue
        literal = comment.split(": ", 1)[0].strip()
        if _LITERAL.match(literal):
            stated[stmt.lineno] = literal
    return stated


def run_solution(sol: Solution) -> Run:
    """Run ``sol``'s code blocks, one top-level statement at a time, in a fresh namespace."""
    ns: dict = {"__name__": f"solution_{sol.label.replace('-', '_')}"}
    out = io.StringIO()
    prints = []
    with warnings.catch_warnings(record=True) as caught, plt.rc_context(), contextlib.redirect_stdout(out):
        warnings.simplefilter("always")
        exec(compile(sol.setup, f"<{sol.chapter}: opening import cell>", "exec"), ns)
        if sol.ex_module:
            exec(f"from layers_lib.exercises import {sol.ex_module} as ex", ns)
        solution_binds = {n for code in sol.code for n in _top_level_bindings(code)}
        missing = {n for code in sol.code for n in _free_names(code)} - set(ns) - solution_binds
        for j in _defining_cells(sol, missing, set(ns)):
            exec(compile(sol.cells[j].source, f"<{sol.chapter}: cell {j}>", "exec"), ns)
        out.seek(0)
        out.truncate()
        del caught[:]                       # only the solution's own warnings count
        for b, code in enumerate(sol.code):
            stated = _stated_outputs(code)
            for stmt in ast.parse(code).body:
                before = len(out.getvalue())
                statement = ast.Module(body=[stmt], type_ignores=[])
                exec(compile(statement, f"<{sol.id}: block {b + 1}>", "exec"), ns)
                if stmt.lineno in stated:
                    prints.append((b, stmt.lineno, out.getvalue()[before:], stated[stmt.lineno]))
    plt.close("all")
    return Run(ns, out.getvalue(), prints, list(caught))


# ---------------------------------------------------------------------------------------------
# Claims in the solutions' prose or comments that are not literal outputs, checked by hand.
# Each function gets the solution and its run, and asserts what the solution's text says.
# ---------------------------------------------------------------------------------------------
def _fractions(stdout: str) -> dict[tuple[float, str], tuple[float, float]]:
    rows = re.findall(r"lr ([\d.]+), (.+?): negative everywhere (\d+)%, accuracy (\d+)%", stdout)
    return {(float(lr), name): (int(dead) / 100, int(acc) / 100) for lr, name, dead, acc in rows}


def _act_ex4(sol: Solution, run: Run):
    # "At learning rate 3, about 47 % of the ReLU units end up dead but only about 16 % of the leaky
    # units are negative on every example [...] At learning rate 5 the leaky network [...]
    # diverges [...] (NumPy warns about overflow [...]). The reported 0 % is an artefact"
    # The two "about N %" figures are read from the solution's text, in that order.
    relu, leaky = (int(n) / 100 for n in re.findall(r"about (\d+) %", sol.text)[:2])
    got = _fractions(run.stdout)
    assert len(got) == 4, run.stdout
    for name, stated in (("ReLU", relu), ("LeakyReLU(0.1)", leaky)):
        dead = got[3.0, name][0]
        assert abs(dead - stated) <= 0.015, f"{name}, lr 3: the text says {stated:.0%}, the code {dead:.0%}"
    assert got[5.0, "LeakyReLU(0.1)"][0] == 0
    assert any(issubclass(w.category, RuntimeWarning) and "overflow" in str(w.message) for w in run.warnings)


def _linear_ex4(sol: Solution, run: Run):
    # print(np.linalg.matrix_rank(w), np.linalg.det(w))   # 1, 0 (up to rounding)
    rank, det = run.stdout.split()
    assert int(rank) == 1 and abs(float(det)) < 1e-12


def _linear_ex5(sol: Solution, run: Run):
    # print(layer(np.array([[0.5, 0.5], [2.5, -0.5]])))     # both rows: [1.5, 3.0]
    rows = np.array(re.findall(r"[-+]?\d+\.?\d*", run.stdout), dtype=float).reshape(2, 2)
    np.testing.assert_allclose(rows, [[1.5, 3.0], [1.5, 3.0]])


def _conv_ex_params(sol: Solution, run: Run):
    # (a) (32, 64, 112, 112); (d) depthwise 150, pointwise 256: 406 in all
    lines = run.stdout.splitlines()
    assert "Total parameters: 406" in run.stdout
    assert lines[-3].split()[-2:] == ["32×64×112×112", "256"] and lines[-4].split()[-1] == "150"


def _conv_ex_rf(sol: Solution, run: Run):
    # (a) 7 layers reach 15; (b) dilations 1, 2, 4 reach 15 after three layers
    sizes = [int(s) for s in re.findall(r"\((\d+), \d+\)", run.stdout)]
    assert sizes == [15, 15], run.stdout


def _pool_ex_backward(sol: Solution, run: Run):
    # Max: dx = [[0, 10, 20, 0], [0, 0, 0, 0]]; average: dx = [[2.5, 2.5, 5, 5], [2.5, 2.5, 5, 5]]
    numbers = np.array(re.findall(r"[-+]?\d+\.?\d*", run.stdout), dtype=float).reshape(2, 2, 4)
    np.testing.assert_array_equal(numbers[0], [[0, 10, 20, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(numbers[1], [[2.5, 2.5, 5, 5], [2.5, 2.5, 5, 5]])


def _dropout_ex4(sol: Solution, run: Run):
    # print(p, y.var(), p / (1 - p) * 9)       # both about 2.25, then about 36
    rows = [tuple(map(float, line.split())) for line in run.stdout.splitlines()]
    assert [r[0] for r in rows] == [0.2, 0.8]
    for (_, var, predicted), expected in zip(rows, (2.25, 36.0), strict=True):
        assert predicted == pytest.approx(expected) and var == pytest.approx(expected, rel=0.02)


STATED = {
    "act-ex4": _act_ex4,
    "linear-ex4": _linear_ex4,
    "linear-ex5": _linear_ex5,
    "conv-ex-params": _conv_ex_params,
    "conv-ex-rf": _conv_ex_rf,
    "pool-ex-backward": _pool_ex_backward,
    "dropout-ex4": _dropout_ex4,
}
# Solutions whose text says the code warns (and which STATED checks).
MAY_WARN = {"act-ex4"}


# ---------------------------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------------------------
def test_every_solution_directive_is_found():
    """A solution written in any other form than the parser knows would silently escape the
    tests below: count the directives in the raw text independently of the parser."""
    directives = sum(len(re.findall(r"\{solution(?:-start)?\}", src.read_text(encoding="utf-8")))
                     for src in SOURCES)
    assert directives > 0
    assert len(SOLUTIONS) == directives, (
        f"{directives} {{solution}} directives in book/src/*.py, but {len(SOLUTIONS)} parsed; "
        "a solution this file cannot read is not being tested")
    # and the parser finds the code the directives hold: every ```python block of a solution
    blocks = sum(len(_PYTHON_BLOCK.findall(s.text)) for s in SOLUTIONS)
    assert blocks == sum(len(s.code) for s in SOLUTIONS) and len(WITH_CODE) >= len(WITH_CHECKER) > 0


def test_every_exercise_has_exactly_one_solution():
    for src in SOURCES:
        exercises = list(_exercise_cells(jupytext.read(src).cells))
        solutions = [s.label for s in SOLUTIONS if s.chapter == src.stem]
        assert sorted(solutions) == sorted(exercises), (src.name, exercises, solutions)


def test_every_checker_is_used_by_a_published_solution():
    """A checker no chapter calls, or a chapter checker no solution answers, would be untested here."""
    import importlib
    import pkgutil

    import layers_lib.exercises as pkg

    available = {f"{m.name}.{name}" for m in pkgutil.iter_modules(pkg.__path__)
                 for name in importlib.import_module(f"layers_lib.exercises.{m.name}").__all__
                 if name.startswith("check_")}
    used = {f"{s.ex_module}.{s.checker}" for s in WITH_CHECKER}
    assert used == available


def test_the_stated_claims_table_names_real_solutions():
    assert set(STATED) <= {s.label for s in WITH_CODE}
    assert MAY_WARN <= set(STATED)


@pytest.mark.parametrize("sol", WITH_CHECKER, ids=[s.id for s in WITH_CHECKER])
def test_published_solution_passes_its_checker(sol):
    assert sol.code, f"{sol.id}: the exercise has a checker but its solution shows no code"
    run = run_solution(sol)
    fn = run.namespace.get(sol.function)
    assert callable(fn), f"{sol.id}: the solution does not define `{sol.function}`"
    checker = getattr(run.namespace["ex"], sol.checker)
    result = checker(fn)
    assert result.passed, f"{sol.id}: ex.{sol.checker} rejects the published solution:\n{result}"
    assert "all" in result.message and "pass" in result.message


@pytest.mark.parametrize("sol", WITH_CODE, ids=[s.id for s in WITH_CODE])
def test_published_solution_runs_and_prints_what_it_states(sol):
    run = run_solution(sol)
    for block, line, printed, stated in run.prints:
        assert " ".join(printed.split()) == " ".join(stated.split()), (
            f"{sol.id}, code block {block + 1}, line {line}: the comment states {stated!r}, "
            f"the code prints {printed!r}")
    if sol.label in STATED:
        STATED[sol.label](sol, run)
    if sol.label not in MAY_WARN:
        assert not run.warnings, f"{sol.id} warns: {[str(w.message) for w in run.warnings]}"


def test_stated_outputs_are_recognised():
    """The comment parser itself: literal outputs are read, prose is left to STATED."""
    code = ("print(1 + 1)   # 2\nprint(True)  # True: the reason\nprint((1, 2), 3)\n# (1, 2) 3\n"
            "print(0.5)  # about 0.5\nfor i in range(2):\n    print(i)  # 0\n")
    assert _stated_outputs(code) == {1: "2", 2: "True", 3: "(1, 2) 3"}
    sol = Solution("x", "x-ex", 0, "", [code], setup="import numpy as np\nimport layers_lib as ll\n")
    expected = [("2\n", "2"), ("True\n", "True"), ("(1, 2) 3\n", "(1, 2) 3")]
    assert [p[2:] for p in run_solution(sol).prints] == expected
    wrong = Solution("x", "x-ex", 0, "", ["print(2 + 2)  # 5\n"], setup=sol.setup)
    (_, _, printed, stated), = run_solution(wrong).prints
    assert printed.strip() != stated
