"""The methods of the node classes, generated from nodes.py so that they are compiled
with the package. Do not edit: regenerate with ``python -m nixeval.syntax.regenerate``
(nodes.py compiles its own when this file does not match it)."""
# ruff: noqa
# mypy: ignore-errors
# fmt: off

TEXT_SHA256 = '15d873391ecd468445b85ae8525d5e934d68c5bf5666b559e5951840c8ee0918'

def Span__init__(self, start, end):
    _Span_start(self, start)
    _Span_end(self, end)
def Span__eq__(self, other):
    if other.__class__ is self.__class__:
        return (self.start,self.end,) == (other.start,other.end,)
    return _NotImplemented
def Span__hash__(self):
    return hash((self.start,self.end,))
def Span__repr__(self):
    return self.__class__.__qualname__ + f"(start={self.start!r}, end={self.end!r})"
def Int__init__(self, span, value):
    _Int_span(self, span)
    _Int_value(self, value)
def Int__eq__(self, other):
    if other.__class__ is self.__class__:
        return (self.value,) == (other.value,)
    return _NotImplemented
def Int__hash__(self):
    return hash((self.value,))
def Int__repr__(self):
    return self.__class__.__qualname__ + f"(span={self.span!r}, value={self.value!r})"
def Float__init__(self, span, value):
    _Float_span(self, span)
    _Float_value(self, value)
def Float__eq__(self, other):
    if other.__class__ is self.__class__:
        return (self.value,) == (other.value,)
    return _NotImplemented
def Float__hash__(self):
    return hash((self.value,))
def Float__repr__(self):
    return self.__class__.__qualname__ + f"(span={self.span!r}, value={self.value!r})"
def Str__init__(self, span, parts):
    _Str_span(self, span)
    _Str_parts(self, parts)
def Str__eq__(self, other):
    if other.__class__ is self.__class__:
        return (self.parts,) == (other.parts,)
    return _NotImplemented
def Str__hash__(self):
    return hash((self.parts,))
def Str__repr__(self):
    return self.__class__.__qualname__ + f"(span={self.span!r}, parts={self.parts!r})"
def Path__init__(self, span, parts):
    _Path_span(self, span)
    _Path_parts(self, parts)
def Path__eq__(self, other):
    if other.__class__ is self.__class__:
        return (self.parts,) == (other.parts,)
    return _NotImplemented
def Path__hash__(self):
    return hash((self.parts,))
def Path__repr__(self):
    return self.__class__.__qualname__ + f"(span={self.span!r}, parts={self.parts!r})"
def SearchPath__init__(self, span, name):
    _SearchPath_span(self, span)
    _SearchPath_name(self, name)
def SearchPath__eq__(self, other):
    if other.__class__ is self.__class__:
        return (self.name,) == (other.name,)
    return _NotImplemented
def SearchPath__hash__(self):
    return hash((self.name,))
def SearchPath__repr__(self):
    return self.__class__.__qualname__ + f"(span={self.span!r}, name={self.name!r})"
def Uri__init__(self, span, value):
    _Uri_span(self, span)
    _Uri_value(self, value)
def Uri__eq__(self, other):
    if other.__class__ is self.__class__:
        return (self.value,) == (other.value,)
    return _NotImplemented
def Uri__hash__(self):
    return hash((self.value,))
def Uri__repr__(self):
    return self.__class__.__qualname__ + f"(span={self.span!r}, value={self.value!r})"
def Var__init__(self, span, name):
    _Var_span(self, span)
    _Var_name(self, name)
def Var__eq__(self, other):
    if other.__class__ is self.__class__:
        return (self.name,) == (other.name,)
    return _NotImplemented
def Var__hash__(self):
    return hash((self.name,))
def Var__repr__(self):
    return self.__class__.__qualname__ + f"(span={self.span!r}, name={self.name!r})"
def CurPos__init__(self, span):
    _CurPos_span(self, span)
def CurPos__eq__(self, other):
    if other.__class__ is self.__class__:
        return () == ()
    return _NotImplemented
def CurPos__hash__(self):
    return hash(())
def CurPos__repr__(self):
    return self.__class__.__qualname__ + f"(span={self.span!r})"
def StaticAttr__init__(self, span, name):
    _StaticAttr_span(self, span)
    _StaticAttr_name(self, name)
def StaticAttr__eq__(self, other):
    if other.__class__ is self.__class__:
        return (self.name,) == (other.name,)
    return _NotImplemented
def StaticAttr__hash__(self):
    return hash((self.name,))
def StaticAttr__repr__(self):
    return self.__class__.__qualname__ + f"(span={self.span!r}, name={self.name!r})"
def DynamicAttr__init__(self, span, expr):
    _DynamicAttr_span(self, span)
    _DynamicAttr_expr(self, expr)
def DynamicAttr__eq__(self, other):
    if other.__class__ is self.__class__:
        return (self.expr,) == (other.expr,)
    return _NotImplemented
def DynamicAttr__hash__(self):
    return hash((self.expr,))
def DynamicAttr__repr__(self):
    return self.__class__.__qualname__ + f"(span={self.span!r}, expr={self.expr!r})"
def Select__init__(self, span, expr, path, default):
    _Select_span(self, span)
    _Select_expr(self, expr)
    _Select_path(self, path)
    _Select_default(self, default)
def Select__eq__(self, other):
    if other.__class__ is self.__class__:
        return (self.expr,self.path,self.default,) == (other.expr,other.path,other.default,)
    return _NotImplemented
def Select__hash__(self):
    return hash((self.expr,self.path,self.default,))
def Select__repr__(self):
    return self.__class__.__qualname__ + f"(span={self.span!r}, expr={self.expr!r}, path={self.path!r}, default={self.default!r})"
def HasAttr__init__(self, span, expr, path):
    _HasAttr_span(self, span)
    _HasAttr_expr(self, expr)
    _HasAttr_path(self, path)
def HasAttr__eq__(self, other):
    if other.__class__ is self.__class__:
        return (self.expr,self.path,) == (other.expr,other.path,)
    return _NotImplemented
def HasAttr__hash__(self):
    return hash((self.expr,self.path,))
def HasAttr__repr__(self):
    return self.__class__.__qualname__ + f"(span={self.span!r}, expr={self.expr!r}, path={self.path!r})"
def Formal__init__(self, span, name, default):
    _Formal_span(self, span)
    _Formal_name(self, name)
    _Formal_default(self, default)
def Formal__eq__(self, other):
    if other.__class__ is self.__class__:
        return (self.name,self.default,) == (other.name,other.default,)
    return _NotImplemented
def Formal__hash__(self):
    return hash((self.name,self.default,))
def Formal__repr__(self):
    return self.__class__.__qualname__ + f"(span={self.span!r}, name={self.name!r}, default={self.default!r})"
def Formals__init__(self, span, entries, ellipsis):
    _Formals_span(self, span)
    _Formals_entries(self, entries)
    _Formals_ellipsis(self, ellipsis)
def Formals__eq__(self, other):
    if other.__class__ is self.__class__:
        return (self.entries,self.ellipsis,) == (other.entries,other.ellipsis,)
    return _NotImplemented
def Formals__hash__(self):
    return hash((self.entries,self.ellipsis,))
def Formals__repr__(self):
    return self.__class__.__qualname__ + f"(span={self.span!r}, entries={self.entries!r}, ellipsis={self.ellipsis!r})"
def Lambda__init__(self, span, param, formals, body, param_first):
    _Lambda_span(self, span)
    _Lambda_param(self, param)
    _Lambda_formals(self, formals)
    _Lambda_body(self, body)
    _Lambda_param_first(self, param_first)
def Lambda__eq__(self, other):
    if other.__class__ is self.__class__:
        return (self.param,self.formals,self.body,self.param_first,) == (other.param,other.formals,other.body,other.param_first,)
    return _NotImplemented
def Lambda__hash__(self):
    return hash((self.param,self.formals,self.body,self.param_first,))
def Lambda__repr__(self):
    return self.__class__.__qualname__ + f"(span={self.span!r}, param={self.param!r}, formals={self.formals!r}, body={self.body!r}, param_first={self.param_first!r})"
def Apply__init__(self, span, fn, arg):
    _Apply_span(self, span)
    _Apply_fn(self, fn)
    _Apply_arg(self, arg)
def Apply__eq__(self, other):
    if other.__class__ is self.__class__:
        return (self.fn,self.arg,) == (other.fn,other.arg,)
    return _NotImplemented
def Apply__hash__(self):
    return hash((self.fn,self.arg,))
def Apply__repr__(self):
    return self.__class__.__qualname__ + f"(span={self.span!r}, fn={self.fn!r}, arg={self.arg!r})"
def BinOp__init__(self, span, op, left, right):
    _BinOp_span(self, span)
    _BinOp_op(self, op)
    _BinOp_left(self, left)
    _BinOp_right(self, right)
def BinOp__eq__(self, other):
    if other.__class__ is self.__class__:
        return (self.op,self.left,self.right,) == (other.op,other.left,other.right,)
    return _NotImplemented
def BinOp__hash__(self):
    return hash((self.op,self.left,self.right,))
def BinOp__repr__(self):
    return self.__class__.__qualname__ + f"(span={self.span!r}, op={self.op!r}, left={self.left!r}, right={self.right!r})"
def Not__init__(self, span, expr):
    _Not_span(self, span)
    _Not_expr(self, expr)
def Not__eq__(self, other):
    if other.__class__ is self.__class__:
        return (self.expr,) == (other.expr,)
    return _NotImplemented
def Not__hash__(self):
    return hash((self.expr,))
def Not__repr__(self):
    return self.__class__.__qualname__ + f"(span={self.span!r}, expr={self.expr!r})"
def Negate__init__(self, span, expr):
    _Negate_span(self, span)
    _Negate_expr(self, expr)
def Negate__eq__(self, other):
    if other.__class__ is self.__class__:
        return (self.expr,) == (other.expr,)
    return _NotImplemented
def Negate__hash__(self):
    return hash((self.expr,))
def Negate__repr__(self):
    return self.__class__.__qualname__ + f"(span={self.span!r}, expr={self.expr!r})"
def List__init__(self, span, elements):
    _List_span(self, span)
    _List_elements(self, elements)
def List__eq__(self, other):
    if other.__class__ is self.__class__:
        return (self.elements,) == (other.elements,)
    return _NotImplemented
def List__hash__(self):
    return hash((self.elements,))
def List__repr__(self):
    return self.__class__.__qualname__ + f"(span={self.span!r}, elements={self.elements!r})"
def AttrDef__init__(self, span, name, value, kind, pos):
    _AttrDef_span(self, span)
    _AttrDef_name(self, name)
    _AttrDef_value(self, value)
    _AttrDef_kind(self, kind)
    _AttrDef_pos(self, pos)
def AttrDef__eq__(self, other):
    if other.__class__ is self.__class__:
        return (self.name,self.value,self.kind,) == (other.name,other.value,other.kind,)
    return _NotImplemented
def AttrDef__hash__(self):
    return hash((self.name,self.value,self.kind,))
def AttrDef__repr__(self):
    return self.__class__.__qualname__ + f"(span={self.span!r}, name={self.name!r}, value={self.value!r}, kind={self.kind!r}, pos={self.pos!r})"
def DynamicAttrDef__init__(self, span, key, value):
    _DynamicAttrDef_span(self, span)
    _DynamicAttrDef_key(self, key)
    _DynamicAttrDef_value(self, value)
def DynamicAttrDef__eq__(self, other):
    if other.__class__ is self.__class__:
        return (self.key,self.value,) == (other.key,other.value,)
    return _NotImplemented
def DynamicAttrDef__hash__(self):
    return hash((self.key,self.value,))
def DynamicAttrDef__repr__(self):
    return self.__class__.__qualname__ + f"(span={self.span!r}, key={self.key!r}, value={self.value!r})"
def AttrSet__init__(self, span, recursive, attrs, dynamic):
    _AttrSet_span(self, span)
    _AttrSet_recursive(self, recursive)
    _AttrSet_attrs(self, attrs)
    _AttrSet_dynamic(self, dynamic)
def AttrSet__eq__(self, other):
    if other.__class__ is self.__class__:
        return (self.recursive,self.attrs,self.dynamic,) == (other.recursive,other.attrs,other.dynamic,)
    return _NotImplemented
def AttrSet__hash__(self):
    return hash((self.recursive,self.attrs,self.dynamic,))
def AttrSet__repr__(self):
    return self.__class__.__qualname__ + f"(span={self.span!r}, recursive={self.recursive!r}, attrs={self.attrs!r}, dynamic={self.dynamic!r})"
def LetIn__init__(self, span, bindings, body):
    _LetIn_span(self, span)
    _LetIn_bindings(self, bindings)
    _LetIn_body(self, body)
def LetIn__eq__(self, other):
    if other.__class__ is self.__class__:
        return (self.bindings,self.body,) == (other.bindings,other.body,)
    return _NotImplemented
def LetIn__hash__(self):
    return hash((self.bindings,self.body,))
def LetIn__repr__(self):
    return self.__class__.__qualname__ + f"(span={self.span!r}, bindings={self.bindings!r}, body={self.body!r})"
def LegacyLet__init__(self, span, attrs):
    _LegacyLet_span(self, span)
    _LegacyLet_attrs(self, attrs)
def LegacyLet__eq__(self, other):
    if other.__class__ is self.__class__:
        return (self.attrs,) == (other.attrs,)
    return _NotImplemented
def LegacyLet__hash__(self):
    return hash((self.attrs,))
def LegacyLet__repr__(self):
    return self.__class__.__qualname__ + f"(span={self.span!r}, attrs={self.attrs!r})"
def With__init__(self, span, env, body):
    _With_span(self, span)
    _With_env(self, env)
    _With_body(self, body)
def With__eq__(self, other):
    if other.__class__ is self.__class__:
        return (self.env,self.body,) == (other.env,other.body,)
    return _NotImplemented
def With__hash__(self):
    return hash((self.env,self.body,))
def With__repr__(self):
    return self.__class__.__qualname__ + f"(span={self.span!r}, env={self.env!r}, body={self.body!r})"
def Assert__init__(self, span, cond, body):
    _Assert_span(self, span)
    _Assert_cond(self, cond)
    _Assert_body(self, body)
def Assert__eq__(self, other):
    if other.__class__ is self.__class__:
        return (self.cond,self.body,) == (other.cond,other.body,)
    return _NotImplemented
def Assert__hash__(self):
    return hash((self.cond,self.body,))
def Assert__repr__(self):
    return self.__class__.__qualname__ + f"(span={self.span!r}, cond={self.cond!r}, body={self.body!r})"
def If__init__(self, span, cond, then, else_):
    _If_span(self, span)
    _If_cond(self, cond)
    _If_then(self, then)
    _If_else_(self, else_)
def If__eq__(self, other):
    if other.__class__ is self.__class__:
        return (self.cond,self.then,self.else_,) == (other.cond,other.then,other.else_,)
    return _NotImplemented
def If__hash__(self):
    return hash((self.cond,self.then,self.else_,))
def If__repr__(self):
    return self.__class__.__qualname__ + f"(span={self.span!r}, cond={self.cond!r}, then={self.then!r}, else_={self.else_!r})"
