"""Formula safety: parse a right-hand side and check it against an allowlist before anything runs.

:mod:`formulaic` evaluates the function-call terms of a formula (``log(age)``, ``{...}``) as Python
code with the builtins in reach, so a formula taken from a spec file or a user would otherwise run
arbitrary code (``{__import__('os').system(...)}``). Every formula the package evaluates goes
through :func:`check_formula` first, which reads it with its own tokenizer and Python's
:mod:`ast` (parsing only, nothing is evaluated) and accepts

- column names: bare (``age``, R-style ``ph.ecog``), quoted with backticks (```lambda```,
  ```age at diagnosis```) or with ``Q("...")``;
- the formula operators ``+ - * : / ^ **`` and parentheses (``(a + b)^2``, ``a*b``, ``a:b``), a
  leading ``~``, and the intercept terms ``1``/``0``;
- calls of the functions in :data:`ALLOWED_FUNCTIONS` whose arguments are columns, numbers,
  strings, lists of constants, arithmetic (``+ - * / ** //``, unary minus), comparisons and
  ``&``/``|`` of comparisons.

Anything else — attribute access (``age.__class__``), subscripts (``x[0]``), lambdas,
comprehensions, dict/set literals, f-strings, ``{...}`` Python terms, names with double
underscores, keyword arguments starting with ``_`` and any other call (``open``, ``eval``,
``getattr``) — is a :class:`~crlm_outcomes.errors.FormulaError` naming the offending term. The
check is repeated on formulaic's own reading of the formula (:func:`vet_formulaic_terms`), so a
difference between the two tokenizers cannot let code through.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from crlm_outcomes.errors import FormulaError

__all__ = [
    "ALLOWED_FUNCTIONS",
    "CheckedFormula",
    "check_expression",
    "check_formula",
    "vet_formulaic_terms",
]

#: Functions a formula may call, with what they do.
ALLOWED_FUNCTIONS: dict[str, str] = {
    "C": "categorical coding, e.g. C(stage) or C(stage, levels=['I', 'II'])",
    "Q": "a column by its quoted name, e.g. Q('age at diagnosis')",
    "I": "arithmetic as is, e.g. I(age ** 2), I(age / 10), I(age > 60)",
    "log": "natural logarithm",
    "log2": "base-2 logarithm",
    "log10": "base-10 logarithm",
    "exp": "exponential",
    "sqrt": "square root",
    "abs": "absolute value",
    "pow": "power, pow(x, p)",
    "rcs": "restricted cubic spline (rms::rcs), rcs(x, 4) or rcs(x, [k1, k2, k3])",
    "bs": "B-spline basis (formulaic, as R's splines::bs)",
    "cr": "natural cubic regression spline (formulaic)",
    "cs": "natural cubic regression spline (formulaic)",
    "poly": "orthogonal polynomial (as R's poly)",
    "center": "centring on the mean of the fitted data",
    "scale": "centring and scaling by the fitted data's mean and SD",
    "standardize": "centring and scaling (patsy's standardize)",
}

_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.FloorDiv, ast.BitAnd, ast.BitOr)
_CMPOPS = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)
_MAX_POWER = 10  # I(x ** 3) is a model term; 9 ** 9 ** 9 is a denial of service
_MAX_NODES = 400
_MAX_LENGTH = 10_000  # characters of a formula
_MAX_TERMS = 4096  # terms an interaction operator may generate
_MAX_BASIS = 50  # df / degree / number of knots of a spline or polynomial
_MAX_LIST = 100  # elements of a list argument (knots, levels)
_BASIS_FUNCS = ("rcs", "bs", "cr", "cs", "poly")
_FORBIDDEN = {
    ast.Attribute: "attribute access is",
    ast.Subscript: "subscripts are",
    ast.Lambda: "lambdas are",
    ast.ListComp: "comprehensions are",
    ast.SetComp: "comprehensions are",
    ast.DictComp: "comprehensions are",
    ast.GeneratorExp: "comprehensions are",
    ast.Dict: "dict literals are",
    ast.Set: "set literals are",
    ast.JoinedStr: "f-strings are",
    ast.IfExp: "conditional expressions are",
    ast.NamedExpr: "assignment expressions are",
    ast.Starred: "star arguments are",
    ast.Await: "await is",
    ast.Yield: "yield is",
    ast.BoolOp: "'and'/'or' (use & and | on comparisons) are",
}
_NAME_RE = re.compile(r"[^\W\d][\w.]*")
_NUMBER_RE = re.compile(r"\d+(\.\d*)?([eE][+-]?\d+)?")
_OPERATORS = ("**", "+", "-", "*", ":", "/", "^")


@dataclass(frozen=True)
class CheckedFormula:
    """A right-hand side that passed :func:`check_formula`.

    Attributes
    ----------
    rhs
        The right-hand side as given (a leading ``~`` removed, whitespace trimmed).
    variables
        Data columns it refers to, in order of first appearance.
    terms
        The atoms of the formula: column names and function-call terms, in order.
    functions
        The allowed functions it calls.

    Examples
    --------
    >>> c = check_formula("~ age + log(cea) + C(sex)")
    >>> c.rhs, c.variables, c.functions
    ('age + log(cea) + C(sex)', ('age', 'cea', 'sex'), ('log', 'C'))
    """

    rhs: str
    variables: tuple[str, ...]
    terms: tuple[str, ...]
    functions: tuple[str, ...]


@dataclass(frozen=True)
class _Token:
    kind: str  # name, quoted, call, number, op, lparen, rparen
    text: str
    pos: int


def _error(message: str, formula: str, term: str | None = None) -> FormulaError:
    if term is not None and repr(term) not in message:
        message = f"{message} (at {term!r})"
    return FormulaError(
        message,
        value=formula,
        expected="columns, + - * : / ^ operators, C()/Q()/I() and the functions "
        + ", ".join(f for f in ALLOWED_FUNCTIONS if f not in "CQI"),
    )


def _scan_call(text: str, start: int, formula: str) -> int:
    """Index just past the parenthesis that closes the one at ``start`` (strings, backticks and
    brackets inside are skipped over)."""
    closing = {"(": ")", "[": "]", "{": "}"}
    stack: list[str] = []
    i = start
    while i < len(text):
        ch = text[i]
        if ch in "'\"`":
            end = _scan_quoted(text, i, formula)
            i = end
            continue
        if ch in closing:
            stack.append(closing[ch])
        elif ch in ")]}":
            if not stack or stack[-1] != ch:
                raise _error(f"unbalanced {ch!r} in the formula", formula, text[start : i + 1])
            stack.pop()
            if not stack:
                return i + 1
        i += 1
    raise _error("a function call is not closed: missing ')'", formula, text[start:])


def _scan_quoted(text: str, start: int, formula: str) -> int:
    quote = text[start]
    i = start + 1
    while i < len(text):
        if text[i] == "\\" and quote != "`":
            i += 2
            continue
        if text[i] == quote:
            return i + 1
        i += 1
    raise _error(f"unterminated quote {quote}", formula, text[start:])


def _number(rhs: str, m: re.Match[str], formula: str) -> _Token:
    end = m.end()
    if end < len(rhs) and (rhs[end].isalpha() or rhs[end] == "_"):
        raise _error(
            "a name cannot start with a digit (quote it with backticks)",
            formula,
            rhs[m.start() : end + 1],
        )
    return _Token("number", m.group(), m.start())


def _tokenize(rhs: str, formula: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(rhs):
        ch = rhs[i]
        if ch.isspace():
            i += 1
            continue
        if ch == "`":
            end = _scan_quoted(rhs, i, formula)
            name = rhs[i + 1 : end - 1]
            if not name:
                raise _error("empty backtick-quoted name", formula, "``")
            tokens.append(_Token("quoted", name, i))
            i = end
            continue
        m = _NAME_RE.match(rhs, i)
        if m:
            end = m.end()
            if end < len(rhs) and rhs[end] == "(":
                close = _scan_call(rhs, end, formula)
                tokens.append(_Token("call", rhs[i:close], i))
                i = close
            else:
                tokens.append(_Token("name", m.group(), i))
                i = end
            continue
        m = _NUMBER_RE.match(rhs, i)
        if m:
            tokens.append(_number(rhs, m, formula))
            i = m.end()
            continue
        if ch in "()":
            tokens.append(_Token("lparen" if ch == "(" else "rparen", ch, i))
            i += 1
            continue
        op = next((o for o in _OPERATORS if rhs.startswith(o, i)), None)
        if op is not None:
            tokens.append(_Token("op", op, i))
            i += len(op)
            continue
        raise _error(_bad_char_message(ch), formula, _context(rhs, i))
    return tokens


def _bad_char_message(ch: str) -> str:
    if ch == "{":
        return "Python code in braces {...} is not allowed in a formula"
    if ch == "[":
        return "subscripts [...] are not allowed in a formula"
    if ch == ".":
        return (
            "attribute access and formulaic's '.' (all columns) are not allowed; quote a "
            "column name with dots in backticks"
        )
    if ch in "'\"":
        return "a string is not a term; quote a column name with backticks or Q('...')"
    if ch == "~":
        return "only a right-hand side may be given: '~' may appear once, at the start"
    return f"character {ch!r} is not allowed in a formula"


def _context(text: str, i: int) -> str:
    return text[max(0, i - 10) : i + 10].strip()


class _Grammar:
    """Recursive-descent check that the tokens form a formula (operators between terms)."""

    def __init__(self, tokens: list[_Token], formula: str) -> None:
        self.tokens = tokens
        self.formula = formula
        self.i = 0

    def run(self) -> None:
        if not self.tokens:
            raise _error("the formula has no terms", self.formula)
        self.expr()
        if self.i < len(self.tokens):
            tok = self.tokens[self.i]
            prev = self.tokens[self.i - 1]
            if prev.kind == "name" and prev.text == "lambda":
                raise _error(
                    "lambdas are not allowed in a formula (quote a column named "
                    "lambda with backticks)",
                    self.formula,
                    prev.text + " " + tok.text,
                )
            raise _error(
                "two terms without an operator between them (or a stray ')')",
                self.formula,
                tok.text,
            )

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def expr(self) -> int:
        """Parse an expression; return the number of atoms (columns, calls) in it."""
        atoms = last = self.unary()
        stars = 0
        while (tok := self.peek()) is not None and tok.kind == "op":
            self.i += 1
            if tok.text in ("^", "**"):
                nxt = self.peek()
                if nxt is None or nxt.kind != "number" or not nxt.text.isdigit():
                    raise _error(
                        f"'{tok.text}' must be followed by a whole number (the interaction order)",
                        self.formula,
                        None if nxt is None else nxt.text,
                    )
                self.i += 1
                order = int(nxt.text)
                generated = sum(math.comb(last, k) for k in range(1, min(order, last) + 1))
                if generated > _MAX_TERMS:
                    raise _error(
                        f"the interaction '{tok.text}{order}' would generate "
                        f"{generated} terms (at most {_MAX_TERMS})",
                        self.formula,
                        tok.text + nxt.text,
                    )
            else:
                if tok.text == "*":
                    stars += 1
                    if 2 ** (stars + 1) > _MAX_TERMS:
                        raise _error(
                            f"too many '*' interactions (they would generate more "
                            f"than {_MAX_TERMS} terms)",
                            self.formula,
                        )
                last = self.unary()
                atoms += last
        return atoms

    def unary(self) -> int:
        tok = self.peek()
        if tok is not None and tok.kind == "op" and tok.text in "+-":
            self.i += 1
        return self.atom()

    def atom(self) -> int:
        tok = self.peek()
        if tok is None:
            raise _error("the formula ends with an operator", self.formula)
        self.i += 1
        if tok.kind == "lparen":
            inner = self.expr()
            close = self.peek()
            if close is None or close.kind != "rparen":
                raise _error("missing ')'", self.formula, tok.text)
            self.i += 1
            return inner
        if tok.kind == "number":
            if tok.text not in ("0", "1"):
                raise _error(
                    "a number is not a term (only 1 and 0, the intercept)", self.formula, tok.text
                )
            return 0
        if tok.kind in ("op", "rparen"):
            raise _error(f"unexpected {tok.text!r}", self.formula, tok.text)
        return 1


def _strip_lhs(formula: str) -> str:
    text = formula.strip()
    if text.startswith("~"):
        text = text[1:].strip()
    elif "~" in text:
        raise FormulaError(
            "give only the right-hand side of the formula; time and event are "
            "passed as duration= and event=",
            value=formula,
            expected="e.g. 'age + C(sex)' or '~ age + sex'",
        )
    return text


def check_formula(formula: Any, columns: Iterable[Any] | None = None) -> CheckedFormula:
    """Check a right-hand-side formula against the allowlist, without evaluating anything.

    Parameters
    ----------
    formula
        ``"age + C(sex)"`` or ``"~ age + C(sex)"``; see the module docstring for what is allowed.
    columns
        The data's columns. When given, every column the formula refers to must be one of them.

    Returns
    -------
    CheckedFormula

    Raises
    ------
    FormulaError
        Naming the offending term (attribute access, subscripts, lambdas, unknown functions,
        ``{...}`` code, unknown columns, syntax errors).

    Examples
    --------
    >>> check_formula("~ age + rcs(cea, 4) + C(sex)").variables
    ('age', 'cea', 'sex')
    >>> check_formula("`lambda` + Q('odd name')").variables
    ('lambda', 'odd name')
    >>> check_formula("{__import__('os')}")
    Traceback (most recent call last):
    ...
    crlm_outcomes.errors.FormulaError: Python code in braces {...} is not allowed ...
    """
    if not isinstance(formula, str) or not formula.strip():
        raise FormulaError(
            "formula must be a non-empty right-hand side such as 'age + C(sex)'",
            value=formula,
            expected="a string",
        )
    if len(formula) > _MAX_LENGTH:
        raise FormulaError(
            f"the formula is longer than {_MAX_LENGTH} characters",
            value=formula[:80] + "...",
            expected="a model formula",
        )
    rhs = _strip_lhs(formula)
    if not rhs:
        raise FormulaError(
            "the formula has no covariates", value=formula, expected="e.g. 'age + sex'"
        )
    tokens = _tokenize(rhs, formula)
    _Grammar(tokens, formula).run()
    cols = None if columns is None else {str(c) for c in columns}
    variables: list[str] = []
    functions: list[str] = []
    terms: list[str] = []
    for tok in tokens:
        if tok.kind in ("name", "quoted"):
            _check_column(tok.text, tok.kind == "quoted", cols, formula)
            variables.append(tok.text)
            terms.append(tok.text)
        elif tok.kind == "call":
            used, funcs = _check_call(tok.text, cols, formula)
            variables.extend(used)
            functions.extend(funcs)
            terms.append(tok.text)
    return CheckedFormula(
        rhs=rhs,
        variables=tuple(dict.fromkeys(variables)),
        terms=tuple(terms),
        functions=tuple(dict.fromkeys(functions)),
    )


def _check_column(name: str, quoted: bool, cols: set[str] | None, formula: str) -> None:
    if cols is not None and name in cols:
        return
    if not quoted:
        parts = name.split(".")
        if any(p.startswith("__") or p.endswith("__") for p in parts):
            raise _error(f"names with double underscores are not allowed: {name!r}", formula, name)
        dotted_attr = len(parts) > 1 and (
            any(p.startswith("_") or not p for p in parts[1:])
            or (cols is not None and parts[0] in cols)
        )
        if dotted_attr:
            raise _error(
                f"attribute access is not allowed: {name!r} (quote a column name "
                "containing dots with backticks)",
                formula,
                name,
            )
    if cols is not None:
        raise _unknown_column(name, cols, formula)


def _unknown_column(name: str, cols: set[str], formula: str) -> FormulaError:
    shown = sorted(cols)[:12]
    return FormulaError(
        f"formula refers to unknown column {name!r}",
        column=name,
        value=formula,
        expected="columns of the data ("
        + ", ".join(shown)
        + (", ..." if len(cols) > 12 else "")
        + ")",
    )


_QUOTED_RE = re.compile(r"`([^`]*)`")


def check_expression(expr: str, columns: Iterable[Any] | None = None) -> tuple[str, ...]:
    """Check one Python-syntax term (``log(age)``, ``I(age > 60)``, ``rcs(cea, 4)``) against
    the allowlist without evaluating it.

    Backtick-quoted names (```lambda```) and ``Q("name")`` refer to columns. Used for every
    function-call term of a formula, and by anything else in the package that evaluates a
    user-written expression.

    Parameters
    ----------
    expr
        The expression.
    columns
        The data's columns; when given, every name must be one of them.

    Returns
    -------
    tuple of str
        The columns the expression uses, in order of appearance.

    Raises
    ------
    FormulaError
        Naming the offending part.

    Examples
    --------
    >>> check_expression("I(age ** 2) + log(`tumour size`)")
    ('age', 'tumour size')
    >>> check_expression("age.__class__")
    Traceback (most recent call last):
    ...
    crlm_outcomes.errors.FormulaError: attribute access is not allowed in a formula: ...
    """
    used, _ = _check_call(expr, None if columns is None else {str(c) for c in columns}, expr)
    return used


def _check_call(
    expr: str, cols: set[str] | None, formula: str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if not isinstance(expr, str) or not expr.strip():
        raise _error("empty expression", formula)
    quoted: dict[str, str] = {}

    def placeholder(m: re.Match[str]) -> str:
        key = f"_q{len(quoted)}_"
        quoted[key] = m.group(1)
        return key

    code = _QUOTED_RE.sub(placeholder, expr)
    if code.strip() != expr.strip():
        kw = next((q for q in quoted.values() if keyword.iskeyword(q)), None)
        if kw is not None:
            raise _error(
                f"inside a function call, write the column {kw!r} as Q({kw!r}) "
                "(formulaic cannot read a quoted Python keyword there)",
                formula,
                expr,
            )
    if "`" in code:
        raise _error("unterminated backtick quote", formula, expr)
    try:
        tree = ast.parse(code.strip(), mode="eval")
    except SyntaxError as exc:
        hint = ""
        if any(keyword.iskeyword(w) for w in re.findall(r"\w+", code)):
            hint = (
                " (a column named like a Python keyword must be quoted: `lambda` as a term, "
                "Q('lambda') inside a function call)"
            )
        raise _error(f"cannot parse the term {expr!r}: {exc.msg}{hint}", formula, expr) from None
    checker = _Vetter(expr, formula, cols, quoted)
    checker.visit_expr(tree.body)
    return tuple(dict.fromkeys(checker.variables)), tuple(dict.fromkeys(checker.functions))


class _Vetter:
    def __init__(
        self, term: str, formula: str, cols: set[str] | None, quoted: dict[str, str]
    ) -> None:
        self.term = term
        self.formula = formula
        self.cols = cols
        self.quoted = quoted
        self.variables: list[str] = []
        self.functions: list[str] = []
        self.nodes = 0

    def fail(self, message: str) -> FormulaError:
        return _error(f"{message} in a formula: term {self.term!r}", self.formula, self.term)

    def visit_expr(self, node: ast.AST, depth: int = 0) -> None:
        self.nodes += 1
        if self.nodes > _MAX_NODES or depth > 50:
            raise self.fail("the expression is too long or too deeply nested")
        for kind, what in _FORBIDDEN.items():
            if isinstance(node, kind):
                raise self.fail(f"{what} not allowed")
        visit = self._visitors.get(type(node))
        if visit is None:
            raise self.fail(f"{type(node).__name__} expressions are not allowed")
        visit(self, node, depth)

    def _call(self, node: ast.Call, depth: int) -> None:
        self.visit_call(node, depth)

    def _name(self, node: ast.Name, depth: int) -> None:
        self.visit_name(node.id)

    def _constant(self, node: ast.Constant, depth: int) -> None:
        if not isinstance(node.value, (int, float, str, bool)) and node.value is not None:
            raise self.fail(f"the constant {node.value!r} is not allowed")

    def _binop(self, node: ast.BinOp, depth: int) -> None:
        if not isinstance(node.op, _BINOPS):
            raise self.fail(f"the operator {type(node.op).__name__} is not allowed")
        if isinstance(node.op, ast.Pow):
            self.check_power(node)
        for side in (node.left, node.right):
            if isinstance(side, ast.Constant) and isinstance(side.value, str):
                raise self.fail("arithmetic on strings is not allowed")
            self.visit_expr(side, depth + 1)

    def _unaryop(self, node: ast.UnaryOp, depth: int) -> None:
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise self.fail(f"the operator {type(node.op).__name__} is not allowed")
        self.visit_expr(node.operand, depth + 1)

    def _compare(self, node: ast.Compare, depth: int) -> None:
        if not all(isinstance(op, _CMPOPS) for op in node.ops):
            raise self.fail("only < <= > >= == != comparisons are allowed")
        for part in (node.left, *node.comparators):
            self.visit_expr(part, depth + 1)

    def _sequence(self, node: ast.List | ast.Tuple, depth: int) -> None:
        if len(node.elts) > _MAX_LIST:
            raise self.fail(f"lists longer than {_MAX_LIST} are not allowed")
        for elt in node.elts:
            if not _is_constant(elt):
                raise self.fail("lists may hold only numbers and strings")
            self.nodes += 1

    _visitors: dict[type, Any] = {
        ast.Call: _call,
        ast.Name: _name,
        ast.Constant: _constant,
        ast.BinOp: _binop,
        ast.UnaryOp: _unaryop,
        ast.Compare: _compare,
        ast.List: _sequence,
        ast.Tuple: _sequence,
    }

    def check_power(self, node: ast.BinOp) -> None:
        exp = node.right
        value = exp.value if isinstance(exp, ast.Constant) else None
        if isinstance(exp, ast.UnaryOp) and isinstance(exp.operand, ast.Constant):
            value = exp.operand.value
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or abs(value) > _MAX_POWER
        ):
            raise self.fail(f"a power must be a number between -{_MAX_POWER} and {_MAX_POWER}")
        if _is_constant(node.left):
            raise self.fail("a power of a constant is not a model term")

    def visit_call(self, node: ast.Call, depth: int) -> None:
        name = self.function_name(node)
        self.functions.append(name)
        for kw in node.keywords:
            if kw.arg is None:
                raise self.fail("**keyword arguments are not allowed")
            if kw.arg.startswith("_"):
                raise self.fail(f"the argument name {kw.arg!r} is not allowed")
        if name == "Q":
            if (
                len(node.args) != 1
                or node.keywords
                or not isinstance(node.args[0], ast.Constant)
                or not isinstance(node.args[0].value, str)
            ):
                raise self.fail("Q() takes one quoted column name, e.g. Q('age at diagnosis')")
            self.use_column(node.args[0].value)
            return
        if not node.args:
            raise self.fail(f"{name}() needs a column argument")
        if name in _BASIS_FUNCS:
            self.check_basis_size(name, node)
        for arg in [*node.args, *(kw.value for kw in node.keywords)]:
            self.visit_expr(arg, depth + 1)

    def function_name(self, node: ast.Call) -> str:
        if not isinstance(node.func, ast.Name):
            if isinstance(node.func, ast.Attribute):
                raise self.fail("attribute access is not allowed")
            raise self.fail("only named functions may be called")
        name = node.func.id
        if name not in ALLOWED_FUNCTIONS:
            raise _error(
                f"unknown function {name!r} in term {self.term!r}; allowed: "
                + ", ".join(ALLOWED_FUNCTIONS),
                self.formula,
                self.term,
            )
        if self.cols is not None and name in self.cols:
            raise self.fail(f"the column {name!r} hides the function {name}(); rename it")
        return name

    def check_basis_size(self, name: str, node: ast.Call) -> None:
        sizes = [
            *node.args[1:],
            *(kw.value for kw in node.keywords if kw.arg in ("df", "degree", "parms")),
        ]
        for arg in sizes:
            if (
                isinstance(arg, ast.Constant)
                and isinstance(arg.value, (int, float))
                and arg.value > _MAX_BASIS
            ):
                raise self.fail(
                    f"{name}() with more than {_MAX_BASIS} basis columns is not allowed"
                )

    def visit_name(self, name: str) -> None:
        if name in self.quoted:
            self.use_column(self.quoted[name])
            return
        if name.startswith("__") or name.endswith("__"):
            raise self.fail(f"names with double underscores are not allowed: {name!r}")
        if self.cols is not None:
            if name in self.cols:
                self.use_column(name)
                return
            if name in ALLOWED_FUNCTIONS:
                raise self.fail(f"the function {name} must be called, e.g. {name}(x)")
            raise _unknown_column(name, self.cols, self.formula)
        if name in ("True", "False", "None"):
            return
        if (
            name in ALLOWED_FUNCTIONS
            or name.startswith("_")
            or hasattr(builtins, name)
            or name in ("np", "numpy", "contr")
        ):
            raise self.fail(f"the name {name!r} is not a column")
        self.use_column(name)

    def use_column(self, name: str) -> None:
        if self.cols is None and name.startswith("__"):
            raise self.fail(f"names with double underscores are not allowed: {name!r}")
        if self.cols is not None and name not in self.cols:
            raise _unknown_column(name, self.cols, self.formula)
        self.variables.append(name)


def _is_constant(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float, str, bool))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return isinstance(node.operand, ast.Constant) and isinstance(
            node.operand.value, (int, float)
        )
    return False


def vet_formulaic_terms(
    parsed: Any, checked: CheckedFormula, columns: Sequence[Any] | None = None
) -> None:
    """Re-check formulaic's own reading of a formula (its factors) before it evaluates any:
    a lookup must be a column of :func:`check_formula`'s result, Python code must pass
    :func:`check_expression`. Guards against the two tokenizers reading a formula differently.

    Parameters
    ----------
    parsed
        ``formulaic.Formula`` of the checked right-hand side (parsed, not evaluated).
    checked
        The result of :func:`check_formula` on the same formula.
    columns
        The data's columns.

    Returns
    -------
    None
        Nothing: the function returns when every factor is accepted and raises otherwise.

    Raises
    ------
    FormulaError
        A factor that the check did not accept.

    Examples
    --------
    >>> from formulaic import Formula
    >>> c = check_formula("age + log(cea)")
    >>> vet_formulaic_terms(Formula("1 + " + c.rhs), c, ["age", "cea"])
    """
    allowed = set(checked.variables)
    cols = None if columns is None else {str(c) for c in columns}
    for term in parsed:
        for factor in term.factors:
            method = getattr(factor.eval_method, "value", factor.eval_method)
            expr = str(factor.expr)
            if method == "lookup":
                if expr not in allowed:
                    raise _error(
                        f"formulaic reads {expr!r} as a column, which the check did not accept",
                        checked.rhs,
                        expr,
                    )
            elif method == "python":
                used, _ = _check_call(expr, cols, checked.rhs)
                if not set(used) <= allowed:
                    raise _error(
                        f"formulaic reads the term {expr!r} differently from the check",
                        checked.rhs,
                        expr,
                    )
            elif method != "literal":
                raise _error(
                    f"formulaic evaluation method {method!r} is not allowed", checked.rhs, expr
                )
