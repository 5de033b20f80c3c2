"""A small language for equations that are shown and checked from one object (notebooks 03-05, appendix).

A line of a derivation is written once, with ordinary arithmetic, as a tree of nodes: symbolic
densities (``Density("q")`` for q_phi(z|x)), numbers and symbols (:class:`Atom`), sums, products,
fractions, powers, logs, integrals, expectations and KL divergences. That one object gives

- its LaTeX (:func:`latex`), printed in the order the terms were written, with the densities named by
  a ``Notation`` (the course's or the seed article's, in ``vaelib.chains``), and
- its value in a concrete ``Model`` (``vaelib.chains``): each density replaced by its closed form, an
  integral against one Gaussian density computed by ``derive.gaussian_expectation``, a KL divergence
  between two Gaussians by the closed form, any other integral by ``derive.integrate_real_line``.

So what a reader sees is what SymPy checks: a sign slipped into a line changes both the printed line
and its value (tests/test_equations.py and tests/test_chains.py plant such slips).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from . import derive


def node(value) -> Node:
    """A node as is; a number or a SymPy expression as an :class:`Atom`."""
    return value if isinstance(value, Node) else Atom(sp.sympify(value, strict=True))


class Node:
    """An expression that knows its LaTeX and its value; arithmetic builds nodes in the order written."""

    __add__ = lambda self, other: Sum.of((1, self), (1, node(other)))
    __radd__ = lambda self, other: Sum.of((1, node(other)), (1, self))
    __sub__ = lambda self, other: Sum.of((1, self), (-1, node(other)))
    __rsub__ = lambda self, other: Sum.of((1, node(other)), (-1, self))
    __neg__ = lambda self: Sum(((-1, self),))
    __mul__ = lambda self, other: Product.of(self, node(other))
    __rmul__ = lambda self, other: Product.of(node(other), self)
    __truediv__ = lambda self, other: Frac(self, node(other))
    __rtruediv__ = lambda self, other: Frac(node(other), self)
    __pow__ = lambda self, other: Pow(self, node(other))

    def value(self, model) -> sp.Expr:
        raise NotImplementedError

    def tex(self, notation) -> str:
        raise NotImplementedError


@dataclass(frozen=True, eq=False)
class Atom(Node):
    """A number or a SymPy expression written out (a symbol, sigma**2, 2*pi), printed by ``sp.latex``."""

    expr: sp.Expr

    def __neg__(self):
        return Atom(-self.expr) if self.expr.is_number else super().__neg__()

    def value(self, model):
        return self.expr.subs(model.values) if model.values else self.expr

    def tex(self, n):
        return sp.latex(self.expr)

    @property
    def plain(self) -> bool:
        """Needs no parentheses as the base of a power or inside a log (a symbol or a whole number)."""
        e = self.expr
        return isinstance(e, (sp.Symbol, sp.Indexed)) or e is sp.E or (e.is_Integer and e >= 0)


@dataclass(frozen=True, eq=False)
class Density(Node):
    """A density by name, e.g. ``Density("q")`` for q_phi(z|x); the model says what it is."""

    name: str
    default: str = ""  # its LaTeX when the notation does not name it

    def value(self, model):
        return model.density(self.name)

    def tex(self, n):
        return n.densities.get(self.name, self.default or self.name)


@dataclass(frozen=True, eq=False)
class Sum(Node):
    """Signed terms, printed in the order written: ((1, a), (-1, b)) is a - b."""

    terms: tuple[tuple[int, Node], ...]

    @staticmethod
    def of(*signed) -> Sum:
        terms = []
        for i, (sign, term) in enumerate(signed):
            if i == 0 and isinstance(term, Sum):  # (a - b) - c: only the left operand is flattened
                terms += [(sign * s, t) for s, t in term.terms]
            else:
                terms.append((sign, term))
        return Sum(tuple(terms))

    def value(self, model):
        return sp.Add(*[sign * term.value(model) for sign, term in self.terms])

    def tex(self, n):
        out = []
        for i, (sign, term) in enumerate(self.terms):
            text = rf"\left({term.tex(n)}\right)" if sign < 0 and isinstance(term, Sum) else term.tex(n)
            out.append(("-" if sign < 0 else "") + text if i == 0 else (" - " if sign < 0 else " + ") + text)
        return "".join(out)


@dataclass(frozen=True, eq=False)
class Product(Node):
    """Factors, printed side by side in the order written (a dot before a number)."""

    factors: tuple[Node, ...]

    @staticmethod
    def of(left: Node, right: Node) -> Node:
        factors = (*left.factors, right) if isinstance(left, Product) else (left, right)
        first = factors[0]
        if isinstance(first, Atom) and first.expr.is_number and first.expr.is_negative:  # -1/2 * x: a minus sign
            return -Product((Atom(-first.expr), *factors[1:]))
        return Product(factors)

    def value(self, model):
        return sp.Mul(*[f.value(model) for f in self.factors])

    def tex(self, n):
        out = []
        for i, f in enumerate(self.factors):
            text = f.tex(n)
            if isinstance(f, Sum) or (isinstance(f, Atom) and (f.expr.is_Add or (i > 0 and f.expr.is_negative))):
                text = rf"\left({text}\right)"
            out.append(text if i == 0 else (r" \cdot " if isinstance(f, Atom) and f.expr.is_number else " ") + text)
        return "".join(out)


@dataclass(frozen=True, eq=False)
class Frac(Node):
    numerator: Node
    denominator: Node

    def value(self, model):
        return self.numerator.value(model) / self.denominator.value(model)

    def tex(self, n):
        return rf"\frac{{{self.numerator.tex(n)}}}{{{self.denominator.tex(n)}}}"


@dataclass(frozen=True, eq=False)
class Pow(Node):
    base: Node
    exponent: Node

    def value(self, model):
        return self.base.value(model) ** self.exponent.value(model)

    def tex(self, n):
        plain = (isinstance(self.base, Atom) and self.base.plain) or isinstance(self.base, Density)
        base = self.base.tex(n) if plain else rf"\left({self.base.tex(n)}\right)"
        return f"{base}^{{{self.exponent.tex(n)}}}"


@dataclass(frozen=True, eq=False)
class Bracket(Node):
    """Square brackets around a node, for readability only: its value is the node's."""

    inner: Node

    def value(self, model):
        return self.inner.value(model)

    def tex(self, n):
        return rf"\left[{self.inner.tex(n)}\right]"


@dataclass(frozen=True, eq=False)
class Log(Node):
    arg: Node

    def value(self, model):
        return sp.expand_log(sp.log(self.arg.value(model)))  # splits: every density and scale is positive

    def tex(self, n):
        a = self.arg
        simple_power = isinstance(a, Pow) and isinstance(a.base, Atom) and a.base.plain  # log sigma^2
        if isinstance(a, (Density, Frac, Bracket)) or (isinstance(a, Atom) and a.plain) or simple_power:
            return rf"\log {a.tex(n)}"
        return rf"\log\left[{a.tex(n)}\right]" if isinstance(a, (Product, Pow)) else rf"\log\left({a.tex(n)}\right)"


@dataclass(frozen=True, eq=False)
class Integral(Node):
    """The integral of ``body`` over the real line in ``variable``."""

    body: Node
    variable: sp.Symbol

    def value(self, model):
        factors = self.body.factors if isinstance(self.body, Product) else (self.body,)
        densities = [i for i, f in enumerate(factors) if isinstance(f, Density)]
        if len(densities) == 1 and model.is_gaussian(factors[densities[0]].name, self.variable):
            # against one Gaussian density: an expectation under it (other densities may sit inside
            # logarithms, which keeps the integrand a polynomial after substituting z = mean + std * t)
            i = densities[0]
            rest = sp.Mul(*[g.value(model) for j, g in enumerate(factors) if j != i])
            return model.expectation(factors[i].name, rest)
        return derive.integrate_real_line(self.body.value(model), self.variable)

    def tex(self, n):
        return rf"\int {self.body.tex(n)}\, d{sp.latex(self.variable)}"


@dataclass(frozen=True, eq=False)
class Expectation(Node):
    """E_{variable ~ density}[body]: by definition the integral of density * body."""

    body: Node
    variable: sp.Symbol
    density: Density

    def value(self, model):
        return Integral(Product((self.density, self.body)), self.variable).value(model)

    def tex(self, n):
        body = self.body.tex(n)
        if n.expectation_brackets or isinstance(self.body, Sum):
            body = rf"\left[{body}\right]"
        return rf"{n.expectation}_{{{sp.latex(self.variable)} \sim {self.density.tex(n)}}}{body}"


@dataclass(frozen=True, eq=False)
class KL(Node):
    """D_KL(first || second) over ``variable``: closed form for two Gaussians, else E_first[log first - log second]."""

    first: Density
    second: Density
    variable: sp.Symbol

    def value(self, model):
        if model.is_gaussian(self.first.name, self.variable) and model.is_gaussian(self.second.name, self.variable):
            a, b = model.densities[self.first.name], model.densities[self.second.name]
            return derive.kl_gaussian_closed_form(a.mean, a.std, b.mean, b.std)
        return Expectation(Log(self.first) - Log(self.second), self.variable, self.first).value(model)

    def tex(self, n):
        return rf"{n.kl}({self.first.tex(n)} \,\Vert\, {self.second.tex(n)})"


@dataclass(frozen=True, eq=False)
class Relation(Node):
    """``lhs op rhs`` (op "=", "\\le", ">", ...); its value is lhs - rhs."""

    lhs: Node
    rhs: Node
    op: str = "="

    def value(self, model):
        return self.lhs.value(model) - self.rhs.value(model)

    def tex(self, n):
        return f"{self.lhs.tex(n)} {self.op} {self.rhs.tex(n)}"


def log(x) -> Log:
    return Log(node(x))


def exp(x) -> Pow:
    return Pow(Atom(sp.E), node(x))


def integral(body, variable: sp.Symbol) -> Integral:
    return Integral(node(body), variable)


def expect(body, variable: sp.Symbol, density: Density) -> Expectation:
    return Expectation(node(body), variable, density)


def kl(first: Density, second: Density, variable: sp.Symbol) -> KL:
    return KL(first, second, variable)


def atoms(*exprs) -> tuple[Atom, ...]:
    """``Z, MU = atoms(z, mu)``: numbers and symbols to write lines with."""
    return tuple(Atom(sp.sympify(e, strict=True)) for e in exprs)


def latex(item, notation) -> str:
    """The LaTeX of a node, or of anything with a ``tex(notation)`` method such as ``chains.Line`` (no $)."""
    return item.tex(notation) if hasattr(item, "tex") else node(item).tex(notation)
