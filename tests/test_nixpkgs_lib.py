"""ci-eval's offline nixpkgs ``lib`` (``nixeval/nixpkgs/lib.nix``) against real Nix 2.8.

Three checks, all on expressions that use the lib:

* ``test_ci_eval_matches_nix`` -- for every expression in :data:`CASES`, ci-eval's
  ``--eval --strict`` prints exactly what ``nix-instantiate --eval --strict`` prints
  on the very same expression (or both fail, with the same thrown message).  This
  checks that our evaluator runs the lib as Nix does.
* ``test_known_value_*`` -- for :data:`KNOWN`, the exact result nixpkgs' own lib
  gives, checked on ci-eval and on real Nix running our lib.nix.
* a few structural checks (every submodule and top-level attribute evaluates).

Every expression is evaluated with the working directory ``nixeval/nixpkgs/``, so
``./lib.nix`` resolves; ``@SRC@`` stands for a temporary source tree (see
:func:`src_tree`) used by the ``cleanSource`` family.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import pytest

from .twin import Result, run_ci_eval, run_nix

LIB_DIR = Path(__file__).resolve().parent.parent / "nixeval" / "nixpkgs"
LIB_FILE = LIB_DIR / "lib.nix"
SRC_TOKEN = "@SRC@"
PRELUDE = "let lib = import ./lib.nix; in "


def L(body: str) -> str:
    """``body`` with ``lib`` bound to our lib.nix."""
    return PRELUDE + body


class Case(NamedTuple):
    """One differential expression; ``error`` when both evaluators must fail."""

    expr: str
    error: bool = False


def ok(body: str) -> Case:
    return Case(L(body))


def err(body: str) -> Case:
    return Case(L(body), error=True)


# --------------------------------------------------------------------------
# differential cases (ci-eval output == Nix output)

CASES: list[Case] = [
    # trivial.nix
    ok("lib.id 5"),
    ok("lib.const 1 2"),
    ok("lib.flip lib.concat [ 1 ] [ 2 ]"),
    ok("lib.pipe 2 [ (x: x + 1) (x: x * 10) ]"),
    ok("[ (lib.or true false) (lib.and true false) ]"),
    ok("[ (lib.boolToString true) (lib.boolToString false) ]"),
    ok("lib.mergeAttrs { a = 1; b = 2; } { b = 3; }"),
    ok("[ (lib.mapNullable (x: x + 1) null) (lib.mapNullable (x: x + 1) 1) ]"),
    ok("[ (lib.min 3 4) (lib.max 3 4) (lib.mod 17 5) (lib.mod (-7) 3) ]"),
    ok("map (lib.compare 2) [ 1 2 3 ]"),
    ok("lib.version"),
    ok("[ lib.trivial.release lib.trivial.codeName lib.trivial.versionSuffix ]"),
    ok('lib.versionAtLeast lib.version "22.05"'),
    ok('lib.versionOlder lib.version "24.05"'),
    ok("lib.isInOldestRelease 2211"),
    ok("[ (lib.isFunction (x: x)) (lib.isFunction { __functor = s: x: x; }) (lib.isFunction 1) ]"),
    ok("lib.functionArgs ({ a, b ? 1 }: a)"),
    ok("lib.functionArgs (lib.setFunctionArgs (x: x) { y = true; })"),
    ok("(lib.toFunction 3) 4"),
    ok("(lib.toFunction (x: x * 2)) 4"),
    ok("[ (lib.toHexString 255) (lib.toHexString 4096) (lib.toHexString 0) ]"),
    ok("lib.toBaseDigits 2 10"),
    ok('lib.throwIf false "no" 1'),
    ok('lib.throwIfNot true "no" 2'),
    ok('lib.warnIf false "no" 3'),
    ok('lib.warn "careful" 4'),
    ok('lib.warnIf true "careful" 5'),
    ok('lib.warnIfNot false "careful" 6'),
    ok('lib.info "hi" 7'),
    ok('lib.showWarnings [ "w1" "w2" ] 8'),
    ok('lib.checkListOfEnum "colour" [ "red" "blue" ] [ "red" ] 9'),
    ok("lib.inPureEvalMode"),
    ok("lib.bitNot 5"),
    ok("[ (lib.bitAnd 12 10) (lib.bitOr 12 10) (lib.bitXor 12 10) ]"),
    ok("lib.splitByAndCompare (x: x > 5) lib.compare lib.compare 7 3"),
    err('lib.throwIf true "thrown by throwIf" 1'),
    err('lib.throwIfNot false "thrown by throwIfNot" 1'),
    err('lib.checkListOfEnum "colour" [ "red" "blue" ] [ "red" "green" ] 1'),
    err("lib.toBaseDigits 1 10"),
    # lists.nix
    ok("lib.optional true 1"),
    ok("lib.optional false 1"),
    ok("lib.optionals true [ 1 2 ]"),
    ok("lib.optionals false [ 1 2 ]"),
    ok("lib.singleton 3"),
    ok("lib.forEach [ 1 2 ] (x: x * 3)"),
    ok('lib.foldr (x: acc: "(${toString x} ${acc})") "nil" [ 1 2 3 ]'),
    ok('lib.foldl (acc: x: "(${acc} ${toString x})") "nil" [ 1 2 3 ]'),
    ok("lib.foldl' (acc: x: acc + x) 0 (lib.range 1 100)"),
    ok("lib.fold (x: acc: [ x ] ++ acc) [ ] [ 1 2 3 ]"),
    ok('lib.imap0 (i: v: [ i v ]) [ "a" "b" ]'),
    ok('lib.imap1 (i: v: [ i v ]) [ "a" "b" ]'),
    ok("lib.concatMap (x: [ x x ]) [ 1 2 ]"),
    ok("lib.flatten [ 1 [ 2 [ 3 [ ] ] ] [ [ [ 4 ] ] ] ]"),
    ok("lib.flatten 1"),
    ok("lib.remove 2 [ 1 2 3 2 ]"),
    ok('lib.findSingle (x: x == 3) "none" "multiple" [ 1 3 5 ]'),
    ok('lib.findSingle (x: x > 1) "none" "multiple" [ 1 3 5 ]'),
    ok('lib.findSingle (x: x > 9) "none" "multiple" [ 1 3 5 ]'),
    ok("lib.findFirst (x: x > 2) null [ 1 3 5 ]"),
    ok('lib.findFirst (x: x > 9) "none" [ 1 3 5 ]'),
    ok("lib.lists.findFirstIndex (x: x > 2) null [ 1 3 5 ]"),
    ok('[ (lib.any lib.isString [ 1 "a" ]) (lib.all lib.isString [ 1 "a" ]) ]'),
    ok("lib.count (x: x > 1) [ 1 2 3 ]"),
    ok("[ (lib.toList 1) (lib.toList [ 1 ]) ]"),
    ok("[ (lib.range 2 5) (lib.range 3 2) ]"),
    ok('lib.replicate 3 "x"'),
    ok("lib.partition (x: x > 2) [ 5 1 2 3 4 ]"),
    ok('lib.groupBy (x: if x > 2 then "big" else "small") [ 1 2 3 4 ]'),
    ok('lib.groupBy\' builtins.add 0 (x: if x > 2 then "big" else "small") [ 1 2 3 4 ]'),
    ok("lib.zipListsWith (a: b: a + b) [ 1 2 3 ] [ 10 20 ]"),
    ok('lib.zipLists [ 1 2 ] [ "a" "b" "c" ]'),
    ok("lib.reverseList [ 1 2 3 ]"),
    ok("lib.sort (a: b: a < b) [ 3 1 2 ]"),
    ok('lib.naturalSort [ "disk11" "disk8" "disk100" "disk9" ]'),
    ok('lib.naturalSort [ "10.46.133.149" "10.5.16.62" "10.54.16.25" ]'),
    ok("lib.compareLists lib.compare [ 1 2 ] [ 1 3 ]"),
    ok("lib.compareLists lib.compare [ 1 2 ] [ 1 ]"),
    ok("[ (lib.take 2 [ 1 2 3 ]) (lib.take 5 [ 1 ]) (lib.drop 2 [ 1 2 3 ]) (lib.drop 5 [ 1 ]) ]"),
    ok("lib.sublist 1 3 [ 0 1 2 3 4 ]"),
    ok("[ (lib.last [ 1 2 3 ]) (lib.init [ 1 2 3 ]) ]"),
    ok("lib.unique [ 3 1 3 2 1 ]"),
    ok("[ (lib.allUnique [ 1 2 ]) (lib.allUnique [ 1 1 ]) ]"),
    ok("lib.intersectLists [ 1 2 3 ] [ 2 3 4 ]"),
    ok("lib.subtractLists [ 1 2 ] [ 1 2 3 4 ]"),
    ok("[ (lib.mutuallyExclusive [ 1 ] [ 2 ]) (lib.mutuallyExclusive [ 1 ] [ 1 ]) ]"),
    ok(
        "[ lib.elem lib.head lib.tail lib.filter ] == [ builtins.elem builtins.head builtins.tail builtins.filter ]"
    ),
    ok("lib.filter (x: x > 1) [ 1 2 3 ]"),
    ok("lib.map (x: x + 1) [ 1 2 ]"),
    ok("lib.lists.map (x: x + 1) [ 1 2 ]"),
    ok("[ (lib.head [ 1 2 ]) (lib.elemAt [ 1 2 ] 1) (lib.length [ 1 2 ]) ]"),
    ok("lib.lists.elem 2 [ 1 2 ]"),
    err("lib.last [ ]"),
    err("lib.init [ ]"),
    err("lib.head [ ]"),
    ok('lib.naturalSort [ "a0010" "a002" "a1" ]'),
    # strings.nix
    ok('lib.concatStrings [ "a" "b" "c" ]'),
    ok('lib.concatMapStrings (x: x + "!") [ "a" "b" ]'),
    ok('lib.concatImapStrings (i: x: "${toString i}${x}") [ "a" "b" ]'),
    ok('lib.intersperse "," [ "a" "b" "c" ]'),
    ok('lib.concatStringsSep ", " [ "a" "b" ]'),
    ok('lib.concatMapStringsSep "-" (x: x + x) [ "a" "b" ]'),
    ok('lib.concatImapStringsSep "-" (i: x: "${toString i}${x}") [ "a" "b" ]'),
    ok('lib.concatLines [ "a" "b" ]'),
    ok('lib.strings.replicate 3 "ab"'),
    ok('lib.makeSearchPath "include" [ "/a" null "/b" ]'),
    ok(
        'lib.makeSearchPathOutput "dev" "include" [ { dev = "/d"; out = "/o"; } { out = "/x"; } "/y" ]'
    ),
    ok('lib.makeBinPath [ "/a" { bin = "/b"; } { out = "/c"; } ]'),
    ok('lib.makeLibraryPath [ { lib = "/l"; out = "/o"; } "/z" ]'),
    ok('lib.makeBinPath [ { outputSpecified = true; bin = "/b"; outPath = "/spec"; } ]'),
    ok('[ (lib.optionalString true "yes") (lib.optionalString false "yes") ]'),
    ok('[ (lib.hasPrefix "foo" "foobar") (lib.hasPrefix "bar" "foobar") ]'),
    ok(
        '[ (lib.hasSuffix "bar" "foobar") (lib.hasSuffix "foo" "foobar") (lib.hasSuffix "xfoobar" "foobar") ]'
    ),
    ok('[ (lib.hasInfix "ob" "foobar") (lib.hasInfix "x.y" "xzy") (lib.hasInfix "." "a.b") ]'),
    ok('lib.stringToCharacters "abc"'),
    ok('lib.stringAsChars (c: if c == "a" then "A" else c) "banana"'),
    ok('lib.escape [ "(" ")" ] "(foo)"'),
    ok('lib.escapeShellArg "hello world"'),
    ok('lib.escapeShellArg "it\'s"'),
    ok("lib.escapeShellArg 42"),
    ok('lib.escapeShellArg ""'),
    ok('lib.escapeShellArgs [ "a b" "c\'d" "$HOME" ]'),
    ok('lib.isValidPosixName "FOO_bar1"'),
    ok('lib.isValidPosixName "1abc"'),
    ok('lib.toShellVar "x" "a b"'),
    ok('lib.toShellVar "arr" [ "a" "b c" ]'),
    ok('lib.toShellVar "assoc" { k = "v"; "a b" = "c"; }'),
    ok('lib.toShellVars { a = "1"; b = [ "x" ]; }'),
    ok('lib.escapeNixString "a\\"b$c"'),
    ok('lib.escapeRegex "a.b*c[d]"'),
    ok(
        '[ (lib.escapeNixIdentifier "foo") (lib.escapeNixIdentifier "foo-bar") (lib.escapeNixIdentifier "1x") ]'
    ),
    ok('lib.escapeXML "<a href=\\"x\\">&\'</a>"'),
    ok('[ (lib.toUpper "Hello World 1") (lib.toLower "Hello World 1") ]'),
    ok('lib.splitString "," "a,b,,c"'),
    ok('lib.splitString "." "1.2.3"'),
    ok('lib.splitString "" "abc"'),
    ok('lib.splitString "/" "/usr/bin/"'),
    ok('[ (lib.removePrefix "foo." "foo.bar") (lib.removePrefix "xxx" "foo.bar") ]'),
    ok('[ (lib.removeSuffix ".nix" "default.nix") (lib.removeSuffix ".x" "a") ]'),
    ok('lib.removePrefix "" "abc"'),
    ok(
        '[ (lib.versionOlder "1.1" "1.2") (lib.versionOlder "1.10" "1.9") (lib.versionAtLeast "1.2" "1.2") ]'
    ),
    ok('[ (lib.versionAtLeast "23.11" "22.05") (lib.versionAtLeast "2.3pre" "2.3") ]'),
    ok('[ (lib.getName "hello-2.10") (lib.getVersion "hello-2.10") ]'),
    ok('[ (lib.getName { pname = "p"; name = "p-1"; }) (lib.getVersion { name = "foo-1.2"; }) ]'),
    ok('lib.nameFromURL "https://nixos.org/releases/nix/nix-1.7/nix-1.7-x86_64-linux.tar.bz2" "-"'),
    ok('[ (lib.enableFeature true "shared") (lib.enableFeature false "shared") ]'),
    ok('[ (lib.enableFeatureAs true "x" "y") (lib.enableFeatureAs false "x" "y") ]'),
    ok(
        '[ (lib.withFeature true "ssl") (lib.withFeatureAs true "ssl" "/p") (lib.withFeatureAs false "ssl" "/p") ]'
    ),
    ok('lib.fixedWidthString 5 "0" "12"'),
    ok("lib.fixedWidthNumber 5 42"),
    ok(
        '[ (lib.isStringLike "a") (lib.isStringLike ./lib.nix) (lib.isStringLike { outPath = "x"; }) (lib.isStringLike 1) ]'
    ),
    ok(
        '[ (lib.isStorePath "/nix/store/abc-foo") (lib.isStorePath "/nix/store/abc-foo/bin") (lib.isStorePath 1) ]'
    ),
    ok('[ (lib.toInt "42") (lib.toInt " -7 ") (lib.toInt "0") ]'),
    ok('[ (lib.toIntBase10 "0042") (lib.toIntBase10 "000") ]'),
    ok(
        '[ (lib.sanitizeDerivationName "foo bar") (lib.sanitizeDerivationName "..x") (lib.sanitizeDerivationName "") (lib.sanitizeDerivationName "ok-1.0") ]'
    ),
    ok('lib.isConvertibleWithToString [ 1 null true "x" ]'),
    ok('lib.addContextFrom "a" "b"'),
    ok('lib.strings.normalizePath "//a//b/"'),
    ok("[ lib.strings.lowerChars lib.strings.upperChars ]"),
    ok(
        '[ (lib.substring 1 2 "abcd") (lib.stringLength "abcd") (lib.replaceStrings [ "a" ] [ "A" ] "banana") ]'
    ),
    ok(
        '[ (lib.isString "a") (lib.isList [ ]) (lib.isAttrs { }) (lib.isInt 1) (lib.isBool false) (lib.isPath ./.) ]'
    ),
    ok("lib.floatToString 1.5"),
    err('lib.toInt "0123"'),
    err('lib.toInt "abc"'),
    err('lib.toIntBase10 "1.5"'),
    err('lib.fixedWidthString 1 "0" "123"'),
    err('lib.toShellVar "1bad" "x"'),
    err("lib.enableFeature true 1"),
    err('lib.nameFromURL "https://x/y.tar" "-"'),
    # attrsets.nix
    ok("lib.optionalAttrs true { a = 1; }"),
    ok("lib.optionalAttrs false { a = 1; }"),
    ok('lib.mapAttrs (n: v: n + v) { a = "x"; b = "y"; }'),
    ok('lib.mapAttrs\' (n: v: lib.nameValuePair "p_${n}" (v * 2)) { a = 1; b = 2; }'),
    ok('lib.mapAttrsToList (n: v: "${n}=${toString v}") { b = 2; a = 1; }'),
    ok("lib.attrsets.mapAttrsFlatten (n: v: n) { x = 1; }"),
    ok("lib.attrsToList { a = 1; b = 2; }"),
    ok('lib.genAttrs [ "x" "y" ] (n: n + n)'),
    ok("lib.filterAttrs (n: v: v > 1) { a = 1; b = 2; c = 3; }"),
    ok("lib.filterAttrsRecursive (n: v: v != null) { a = null; b = { c = null; d = 1; }; }"),
    ok('lib.nameValuePair "n" 1'),
    ok('lib.listToAttrs [ (lib.nameValuePair "a" 1) (lib.nameValuePair "a" 2) ]'),
    ok("[ (lib.attrValues { b = 2; a = 1; }) (lib.attrNames { b = 2; a = 1; }) ]"),
    ok('lib.attrVals [ "a" "c" ] { a = 1; b = 2; c = 3; }'),
    ok('lib.getAttrs [ "a" ] { a = 1; b = 2; }'),
    ok('lib.catAttrs "a" [ { a = 1; } { b = 2; } { a = 3; } ]'),
    ok("lib.recursiveUpdate { a = { b = 1; c = 2; }; d = 1; } { a = { b = 3; }; d = { e = 1; }; }"),
    ok("lib.recursiveUpdate { a = 1; } { a = { b = 2; }; }"),
    ok(
        'lib.recursiveUpdateUntil (path: l: r: path == [ "a" "b" ]) { a.b.c = 1; a.b.d = 2; a.x = 1; } { a.b.c = 3; a.y = 2; }'
    ),
    ok("lib.recurseIntoAttrs { a = 1; }"),
    ok("lib.dontRecurseIntoAttrs { a = 1; }"),
    ok('lib.attrByPath [ "a" "b" ] 0 { a.b = 5; }'),
    ok('lib.attrByPath [ "a" "x" ] 0 { a.b = 5; }'),
    ok("lib.attrByPath [ ] 0 { a = 1; }"),
    ok('lib.getAttrFromPath [ "a" "b" ] { a.b = 5; }'),
    ok('lib.setAttrByPath [ "a" "b" "c" ] 1'),
    ok("lib.setAttrByPath [ ] 1"),
    ok(
        '[ (lib.hasAttrByPath [ "a" "b" ] { a.b = null; }) (lib.hasAttrByPath [ "a" "c" ] { a.b = 1; }) (lib.hasAttrByPath [ ] 1) ]'
    ),
    ok('lib.collect lib.isString { a = "x"; b = { c = "y"; d = 1; }; }'),
    ok(
        'lib.collect (x: x ? outPath) { a = { outPath = "/a"; }; b = { c = { outPath = "/c"; }; }; }'
    ),
    ok(
        '[ (lib.isDerivation { type = "derivation"; }) (lib.isDerivation { }) (lib.isDerivation 1) ]'
    ),
    ok("lib.zipAttrsWith (n: vs: vs) [ { a = 1; } { a = 2; b = 3; } ]"),
    ok("lib.zipAttrs [ { a = 1; } { a = 2; b = 3; } ]"),
    ok('lib.zipAttrsWithNames [ "a" ] (n: vs: vs) [ { a = 1; } { a = 2; b = 3; } ]'),
    ok("lib.mergeAttrsList [ { a = 1; } { b = 2; } { a = 3; } ]"),
    ok("lib.mergeAttrsList [ ]"),
    ok(
        "[ (lib.matchAttrs { a.b = 1; } { a = { b = 1; c = 2; }; }) (lib.matchAttrs { a = 1; } { b = 1; }) ]"
    ),
    ok("lib.overrideExisting { a = 1; b = 2; } { a = 3; c = 4; }"),
    ok('[ (lib.showAttrPath [ "a" "b-c" "d e" ]) (lib.showAttrPath [ ]) ]'),
    ok('lib.concatMapAttrs (n: v: { ${n} = v; "${n}2" = v * 2; }) { a = 1; b = 2; }'),
    ok('lib.foldlAttrs (acc: n: v: acc + n + toString v) "" { a = 1; b = 2; }'),
    ok("lib.foldAttrs (n: a: [ n ] ++ a) [ ] [ { a = 2; } { a = 3; b = 1; } ]"),
    ok('lib.cartesianProductOfSets { a = [ 1 2 ]; b = [ "x" "y" ]; }'),
    ok('lib.mapAttrsRecursive (path: v: lib.concatStringsSep "." path) { a.b = 1; c = 2; }'),
    ok("lib.mapAttrsRecursiveCond (as: !(as ? stop)) (p: v: 0) { a.b = 1; s = { stop = 1; }; }"),
    ok(
        '[ (lib.getBin { bin = "b"; out = "o"; }) (lib.getDev { out = "o"; }) (lib.getLib "s") (lib.getMan { man = "m"; }) ]'
    ),
    ok("lib.unionOfDisjoint { a = 1; } { b = 2; }"),
    ok("lib.attrsets.chooseDevOutputs [ { dev = 1; } { out = 2; } ]"),
    err('lib.getAttrFromPath [ "a" "x" ] { a.b = 5; }'),
    err("lib.unionOfDisjoint { a = 1; b = 1; } { a = 2; b = 2; }"),
    err('lib.filterAttrs (n: v: throw "pred for ${n}") { a = 1; }'),
    # fixed-points.nix
    ok("lib.fix (self: { a = 1; b = self.a + 1; })"),
    ok("builtins.attrNames (lib.fix' (self: { a = 1; }))"),
    ok("(lib.fix' (self: { a = 1; b = self.a; })).__unfix__ { a = 9; }"),
    ok("lib.fix (lib.extends (self: super: { b = super.a + 10; }) (self: { a = 1; c = self.b; }))"),
    ok("lib.converge (x: if x > 10 then x else x + 3) 0"),
    ok(
        "let ext = lib.composeExtensions (f: p: { a = p.a + 1; }) (f: p: { b = p.a * 10; }); in lib.fix (lib.extends ext (self: { a = 1; }))"
    ),
    ok(
        "let ext = lib.composeManyExtensions [ (f: p: { x = 1; }) (f: p: { y = p.x + 1; }) ]; in lib.fix (lib.extends ext (self: { }))"
    ),
    ok(
        'let e = lib.makeExtensible (self: { a = 1; b = self.a + 1; }); in builtins.removeAttrs (e.extend (f: p: { a = 10; })) [ "extend" "__unfix__" ]'
    ),
    ok('(lib.makeExtensibleWithCustomName "over" (self: { a = 1; })) ? over'),
    err("lib.fix (self: self.a)"),
    # debug.nix / asserts.nix
    ok("lib.traceVal 5"),
    ok("lib.traceValSeq { a = [ 1 ]; }"),
    ok('lib.traceValFn (x: "v=${toString x}") 6'),
    ok("lib.traceSeq { a = 1; } 2"),
    ok('lib.traceIf true "msg" 3'),
    ok("lib.traceValSeqFn builtins.toJSON [ 1 ]"),
    ok(
        "lib.runTests { testA = { expr = 1; expected = 1; }; testB = { expr = 1; expected = 2; }; notATest = { expr = 1; expected = 2; }; }"
    ),
    ok("lib.testAllTrue [ true false ]"),
    ok('lib.assertMsg true "never"'),
    ok('lib.assertOneOf "x" "a" [ "a" "b" ]'),
    ok('lib.asserts.assertEachOneOf "xs" [ "a" ] [ "a" "b" ]'),
    ok('assert lib.assertMsg (1 == 1) "ok"; 10'),
    ok(
        'lib.generators.toPretty { } { a = [ 1 "s" null ]; "b c" = { d = true; }; f = x: x; g = { y ? 1 }: y; }'
    ),
    ok("lib.generators.toPretty { multiline = false; } [ 1 [ 2 ] { a = 1.5; } ]"),
    ok('lib.generators.toPretty { } "line1\\nline2\\n"'),
    ok('lib.generators.toPretty { } "q\\"\\${x}"'),
    ok("lib.generators.toPretty { } \"a''b\\n\\${c}\\n\""),
    ok("lib.generators.toPretty { } [ ]"),
    ok('lib.generators.toPretty { } { type = "derivation"; name = "hello"; }'),
    ok(
        'lib.generators.toPretty { allowPrettyValues = true; } { __pretty = v: "P${toString v}"; val = 1; }'
    ),
    err('lib.assertMsg false "assertMsg failed here"'),
    err('lib.assertOneOf "colour" "green" [ "red" "blue" ]'),
    err('lib.asserts.assertEachOneOf "xs" [ "a" "z" ] [ "a" "b" ]'),
    err('assert lib.assertMsg (1 == 2) "one is not two"; 10'),
    # versions.nix
    ok(
        '[ (lib.versions.major "1.2.3") (lib.versions.minor "1.2.3") (lib.versions.patch "1.2.3") ]'
    ),
    ok('lib.versions.majorMinor "23.11.20240101"'),
    ok('lib.versions.pad 3 "1.2-rc1"'),
    ok('lib.splitVersion "1.2pre3"'),
    # trivial IO helpers
    ok('(lib.importJSON (@SRC@ + "/sub/data.json")).a'),
    ok("lib.importTOML @SRC@/sub/conf.toml"),
    ok("lib.fileContents @SRC@/keep.txt"),
    ok("lib.pathExists ./lib.nix"),
    ok("lib.pathExists ./does-not-exist"),
    ok('lib.hasPrefix "let" (lib.readFile ./lib.nix) || true'),
    # submodules expose the same functions
    ok("lib.attrsets.optionalAttrs true { a = 1; }"),
    ok("lib.lists.optionals true [ 1 ]"),
    ok('lib.strings.optionalString true "s"'),
    ok('lib.strings.escapeShellArg "a"'),
    ok("lib.trivial.boolToString true"),
    ok("lib.fixedPoints.fix (self: { a = 1; })"),
    ok('lib.strings.concatStringsSep "/" [ "a" "b" ]'),
    ok("lib.attrsets.recursiveUpdate { a.b = 1; } { a.c = 2; }"),
    # `with import ./lib.nix;` style, as in ci.nix files
    Case("with import ./lib.nix; optionalAttrs true { a = 1; }"),
    Case('(import ./lib.nix).escapeShellArgs [ "a b" "c\'d" ]'),
    Case(
        'with import ./lib.nix; concatMapStringsSep "\\n" (x: "echo ${escapeShellArg x}") [ "a" "b c" ]'
    ),
    Case("with import ./lib.nix; mapAttrs (_: v: recurseIntoAttrs v) { x = { }; }"),
    Case(
        'let inherit (import ./lib.nix) filterAttrs hasPrefix; in filterAttrs (n: _: hasPrefix "ci-" n) { ci-a = 1; b = 2; }'
    ),
    Case(
        'with import ./lib.nix; genAttrs [ "x86_64-linux" "aarch64-darwin" ] (system: { inherit system; })'
    ),
    Case(
        "with import ./lib.nix; foldl' recursiveUpdate { } [ { a.x = 1; } { a.y = 2; } { b = 3; } ]"
    ),
    Case("with import ./lib.nix; [ (elem 2 [ 1 2 ]) (unique [ 1 1 ]) (flatten [ [ 1 ] 2 ]) ]"),
    # cleanSource family, on the temporary tree @SRC@
    ok("builtins.attrNames (lib.cleanSource @SRC@)"),
    ok("lib.cleanSource @SRC@"),
    ok("(lib.cleanSource @SRC@).origSrc == @SRC@"),
    ok("toString (lib.cleanSource @SRC@)"),
    ok('"${lib.cleanSource @SRC@}"'),
    ok('(lib.cleanSourceWith { src = @SRC@; name = "named"; }).outPath'),
    ok(
        'lib.cleanSourceWith { src = lib.cleanSource @SRC@; filter = p: t: baseNameOf p != "keep.txt"; }'
    ),
    ok(
        "(lib.cleanSourceWith { src = lib.cleanSource @SRC@; filter = p: t: true; }).outPath == (lib.cleanSource @SRC@).outPath"
    ),
    ok('(lib.cleanSourceWith { src = lib.cleanSource @SRC@; name = "n"; }).origSrc == @SRC@'),
    ok(
        'lib.filter (n: lib.cleanSourceFilter (@SRC@ + "/${n}") (builtins.readDir @SRC@).${n}) (builtins.attrNames (builtins.readDir @SRC@))'
    ),
    ok('lib.sourceByRegex @SRC@ [ "sub" "sub/.*\\\\.nix" ]'),
    ok('lib.sourceFilesBySuffices @SRC@ [ ".txt" ]'),
    ok('lib.sources.sourceByRegex (lib.cleanSource @SRC@) [ "keep.txt" ]'),
    ok("[ (lib.canCleanSource @SRC@) (lib.canCleanSource (lib.cleanSource @SRC@)) ]"),
    ok(
        '[ (lib.pathType @SRC@) (lib.pathType (@SRC@ + "/keep.txt")) (lib.pathType (dirOf @SRC@)) ]'
    ),
    ok(
        '[ (lib.pathIsDirectory @SRC@) (lib.pathIsRegularFile (@SRC@ + "/keep.txt")) (lib.pathIsDirectory (@SRC@ + "/nope")) ]'
    ),
    ok(
        'map (p: lib.removePrefix (toString @SRC@) (toString p)) (lib.filesystem.listFilesRecursive (@SRC@ + "/sub"))'
    ),
    ok("(lib.sources.trace (lib.cleanSource @SRC@)).outPath == (lib.cleanSource @SRC@).outPath"),
    ok('lib.cleanSourceFilter "/x/result" "symlink"'),
    ok('lib.cleanSourceFilter "/x/result" "regular"'),
    ok(
        'map (n: lib.cleanSourceFilter "/x/${n}" "regular") [ ".git" "a.o" "b.so" "c~" ".d.swp" ".swp" ".swo" "ok.c" ]'
    ),
    ok('map (n: lib.cleanSourceFilter "/x/${n}" "directory") [ ".svn" "CVS" ".hg" "src" ]'),
    ok('lib.cleanSourceFilter "/x/sock" "unknown"'),
    err('lib.pathType (@SRC@ + "/nope")'),
]


# --------------------------------------------------------------------------
# well-known values: nixpkgs' lib gives exactly these


class Known(NamedTuple):
    body: str
    printed: str


KNOWN: list[Known] = [
    Known('lib.escapeShellArg "it\'s"', "\"'it'\\\\''s'\""),
    Known('lib.escapeShellArg "abc"', "\"'abc'\""),
    Known('lib.escapeShellArgs [ "a b" "c" ]', "\"'a b' 'c'\""),
    Known('lib.makeBinPath [ "/a" ]', '"/a/bin"'),
    Known('lib.makeBinPath [ "/a" "/b" ]', '"/a/bin:/b/bin"'),
    Known('lib.makeLibraryPath [ "/a" ]', '"/a/lib"'),
    Known('lib.makeSearchPath "share" [ "/a" "/b" ]', '"/a/share:/b/share"'),
    Known('lib.versionAtLeast "23.11" "22.05"', "true"),
    Known('lib.versionOlder "23.11" "22.05"', "false"),
    Known('lib.versionAtLeast lib.version "22.05"', "true"),
    Known("lib.trivial.release", '"23.11"'),
    Known("lib.version", '"23.11pre-ci-eval"'),
    Known("lib.optionalAttrs false { a = 1; }", "{ }"),
    Known('lib.optionalString false "x"', '""'),
    Known('lib.hasPrefix "foo" "foobar"', "true"),
    Known('lib.hasSuffix "bar" "foobar"', "true"),
    Known('lib.removePrefix "foo." "foo.bar.baz"', '"bar.baz"'),
    Known('lib.removeSuffix "bar" "foobar"', '"foo"'),
    Known('lib.splitString "." "a.b.c"', '[ "a" "b" "c" ]'),
    Known('lib.toUpper "home"', '"HOME"'),
    Known('lib.toLower "HOME"', '"home"'),
    Known('lib.stringToCharacters "abc"', '[ "a" "b" "c" ]'),
    Known('lib.concatMapStringsSep "-" (x: x + "x") [ "a" "b" ]', '"ax-bx"'),
    Known("lib.unique [ 3 2 3 4 ]", "[ 3 2 4 ]"),
    Known("lib.flatten [ 1 [ 2 [ 3 ] 4 ] 5 ]", "[ 1 2 3 4 5 ]"),
    Known("lib.range 2 4", "[ 2 3 4 ]"),
    Known("lib.reverseList [ 1 2 3 ]", "[ 3 2 1 ]"),
    Known('lib.imap1 (i: v: "${v}-${toString i}") [ "a" "b" ]', '[ "a-1" "b-2" ]'),
    Known('lib.imap0 (i: v: i) [ "a" "b" ]', "[ 0 1 ]"),
    Known("lib.take 2 [ 1 2 3 4 ]", "[ 1 2 ]"),
    Known("lib.drop 2 [ 1 2 3 4 ]", "[ 3 4 ]"),
    Known("lib.last [ 1 2 3 ]", "3"),
    Known("lib.init [ 1 2 3 ]", "[ 1 2 ]"),
    Known("lib.count (x: x == 1) [ 1 2 1 ]", "2"),
    Known("lib.zipListsWith (a: b: a + b) [ 1 2 ] [ 3 4 ]", "[ 4 6 ]"),
    Known(
        'lib.recursiveUpdate { boot.loader.grub.enable = true; boot.loader.grub.device = "/dev/hda"; } { boot.loader.grub.device = ""; }',
        '{ boot = { loader = { grub = { device = ""; enable = true; }; }; }; }',
    ),
    Known('lib.mapAttrsToList (name: value: name + value) { x = "a"; y = "b"; }', '[ "xa" "yb" ]'),
    Known('lib.attrByPath [ "a" "b" ] 6 { a = { b = 3; }; }', "3"),
    Known('lib.attrByPath [ "z" "z" ] 6 { a = { b = 3; }; }', "6"),
    Known('lib.setAttrByPath [ "a" "b" ] 3', "{ a = { b = 3; }; }"),
    Known('lib.hasAttrByPath [ "a" "b" ] { a = { b = 3; }; }', "true"),
    Known('lib.collect builtins.isList { a = { b = [ "b" ]; }; c = [ 1 ]; }', '[ [ "b" ] [ 1 ] ]'),
    Known("lib.recurseIntoAttrs { }", "{ recurseForDerivations = true; }"),
    Known(
        'lib.naturalSort [ "disk11" "disk8" "disk100" "disk9" ]',
        '[ "disk8" "disk9" "disk11" "disk100" ]',
    ),
    Known("lib.fixedWidthNumber 5 15", '"00015"'),
    Known("lib.toHexString 250", '"FA"'),
    Known('lib.toInt "1337"', "1337"),
    Known("lib.boolToString true", '"true"'),
    Known('lib.nameValuePair "some" 6', '{ name = "some"; value = 6; }'),
    Known(
        'lib.fix (self: { foo = "foo"; bar = "bar"; foobar = self.foo + self.bar; })',
        '{ bar = "bar"; foo = "foo"; foobar = "foobar"; }',
    ),
    Known(
        'lib.zipAttrsWith (name: values: values) [ { a = "x"; } { a = "y"; b = "z"; } ]',
        '{ a = [ "x" "y" ]; b = [ "z" ]; }',
    ),
    Known('lib.cleanSourceFilter "/src/.git" "directory"', "false"),
    Known('lib.cleanSourceFilter "/src/main.c" "regular"', "true"),
    Known("(lib.cleanSource @SRC@).name", '"source"'),
    Known("(lib.cleanSource @SRC@)._isLibCleanSourceWith", "true"),
    Known('lib.generators.toPretty { } [ "a" "b" ]', '"[\\n  \\"a\\"\\n  \\"b\\"\\n]"'),
    Known('lib.escapeNixIdentifier "foo.bar"', '"\\"foo.bar\\""'),
    Known('lib.versions.majorMinor "1.2.3"', '"1.2"'),
]


# --------------------------------------------------------------------------
# the temporary source tree


def _make_tree(root: Path) -> None:
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (root / ".svn").mkdir()
    (root / ".svn" / "entries").write_text("12\n")
    (root / "CVS").mkdir()
    (root / "CVS" / "Root").write_text("x\n")
    (root / "keep.txt").write_text("kept\n")
    (root / "main.c").write_text("int main(void) { return 0; }\n")
    (root / "main.o").write_bytes(b"\x7fELF")
    (root / "libfoo.so").write_bytes(b"\x7fELF")
    (root / "notes.txt~").write_text("backup\n")
    (root / ".main.c.swp").write_text("swap\n")
    (root / ".swp").write_text("swap\n")
    (root / "result").symlink_to("/nix/store/nonexistent-result")
    (root / "result-doc").symlink_to("keep.txt")
    (root / "resultant.txt").write_text("a regular file whose name starts with result\n")
    (root / "sub").mkdir()
    (root / "sub" / "default.nix").write_text("{ }\n")
    (root / "sub" / "data.json").write_text('{"a": [1, 2.5, "x", null]}\n')
    (root / "sub" / "conf.toml").write_text("a = 1\n[b]\nc = 'd'\ne = [true, 2]\n")
    (root / "sub" / "deep").mkdir()
    (root / "sub" / "deep" / "x.nix").write_text("1\n")
    (root / "sub" / "deep" / "y.o").write_text("obj\n")


@pytest.fixture(scope="session")
def src_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("clean-src", numbered=True) / "project"
    root.mkdir()
    _make_tree(root)
    return root


def _expand(expr: str, src: Path) -> str:
    return expr.replace(SRC_TOKEN, str(src))


# --------------------------------------------------------------------------
# running the evaluators


def _run_nix(expr: str) -> Result:
    return run_nix(expr, LIB_DIR)


def _run_ci_eval(
    expr: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Result:
    return run_ci_eval(expr, LIB_DIR, monkeypatch, capsys)


def _all_exprs(src: Path) -> list[str]:
    exprs = [_expand(c.expr, src) for c in CASES]
    exprs += [_expand(L(k.body), src) for k in KNOWN]
    return exprs


@pytest.fixture(scope="session")
def nix_results(src_tree: Path) -> dict[str, Result]:
    """Real Nix on every expression, once per session (4 workers)."""
    if shutil.which("nix-instantiate") is None:
        pytest.skip("nix-instantiate not on PATH")
    exprs = _all_exprs(src_tree)
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(exprs, pool.map(_run_nix, exprs), strict=True))


def _nix_thrown_message(stderr: str) -> str | None:
    """The first line of a ``throw``/``abort`` message in Nix's stderr, if that was the error."""
    for line in stderr.split("\n"):
        if not line.startswith("error: "):
            continue
        text = line[len("error: ") :]
        abort_prefix = "evaluation aborted with the following error message: '"
        if text.startswith(abort_prefix):
            return text[len(abort_prefix) :].removesuffix("'")
        if text.startswith(("assertion ", "value is ", "undefined variable", "attribute ")):
            return None
        if text.startswith(("infinite recursion", "list index", "cannot coerce")):
            return None
        if text.startswith(("getting status of", "expected a", "function ")):
            return None
        return text
    return None


def _case_id(case: Case) -> str:
    body = case.expr.removeprefix(PRELUDE)
    return body if len(body) <= 70 else body[:67] + "..."


# --------------------------------------------------------------------------
# tests


def test_case_counts() -> None:
    assert len(CASES) >= 150
    assert len(KNOWN) >= 40
    assert sum(c.error for c in CASES) >= 20
    assert len({c.expr for c in CASES}) == len(CASES), "duplicate differential case"
    for case in CASES:
        assert not case.expr.startswith("-")


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_ci_eval_matches_nix(
    case: Case,
    src_tree: Path,
    nix_results: dict[str, Result],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    expr = _expand(case.expr, src_tree)
    nix = nix_results[expr]
    ours = _run_ci_eval(expr, monkeypatch, capsys)
    if not case.error:
        assert nix.status == 0, f"{expr}\nnix failed:\n{nix.stderr}"
        assert ours.status == 0, f"{expr}\nci-eval failed ({ours.status}):\n{ours.stderr}"
        assert ours.stdout == nix.stdout, (
            f"{expr}\nnix:     {nix.stdout!r}\nci-eval: {ours.stdout!r}"
        )
        return
    assert nix.status == 1, f"{expr}\nexpected an error from nix, got {nix.stdout!r}"
    assert ours.status == 1, (
        f"{expr}\nexpected an error, ci-eval exited {ours.status}: {ours.stdout!r}\n{ours.stderr}"
    )
    message = _nix_thrown_message(nix.stderr)
    if message is not None:
        assert message in ours.stderr, f"{expr}\nnix said {message!r}\nci-eval said:\n{ours.stderr}"


@pytest.mark.parametrize("known", KNOWN, ids=lambda k: k.body[:70])
def test_known_value_ci_eval(
    known: Known,
    src_tree: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    expr = _expand(L(known.body), src_tree)
    ours = _run_ci_eval(expr, monkeypatch, capsys)
    assert ours.status == 0, ours.stderr
    assert ours.stdout == known.printed + "\n"


@pytest.mark.parametrize("known", KNOWN, ids=lambda k: k.body[:70])
def test_known_value_nix(known: Known, src_tree: Path, nix_results: dict[str, Result]) -> None:
    nix = nix_results[_expand(L(known.body), src_tree)]
    assert nix.status == 0, nix.stderr
    assert nix.stdout == known.printed + "\n"


WARNING_CASES: list[tuple[str, str]] = [
    ('lib.warn "careful" 4', "warning: careful"),
    ('lib.traceVal "traced-value"', "traced-value"),
    ('lib.info "hello-info" 1', "INFO: hello-info"),
]


@pytest.mark.parametrize(("body", "needle"), WARNING_CASES)
def test_trace_output(
    body: str,
    needle: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ours = _run_ci_eval(L(body), monkeypatch, capsys)
    assert ours.status == 0
    assert needle in ours.stderr


def _submodules() -> Iterator[str]:
    yield from (
        "trivial",
        "lists",
        "strings",
        "attrsets",
        "fixedPoints",
        "debug",
        "asserts",
        "generators",
        "versions",
        "filesystem",
        "sources",
    )


def test_every_attribute_evaluates(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every top-level and submodule attribute exists (no dangling ``inherit``)."""
    subs = " ".join(f'"{s}"' for s in _submodules())
    expr = L(
        "let t = builtins.mapAttrs (n: v: builtins.typeOf v); in "
        f"[ (t lib) (map (s: t lib.${{s}}) [ {subs} ]) ]"
    )
    ours = _run_ci_eval(expr, monkeypatch, capsys)
    assert ours.status == 0, ours.stderr
    if shutil.which("nix-instantiate") is not None:
        assert ours.stdout == _run_nix(expr).stdout


REQUIRED = [
    "optional",
    "optionals",
    "optionalAttrs",
    "optionalString",
    "mapAttrs",
    "mapAttrs'",
    "mapAttrsToList",
    "genAttrs",
    "filterAttrs",
    "nameValuePair",
    "listToAttrs",
    "attrValues",
    "attrNames",
    "recursiveUpdate",
    "recursiveUpdateUntil",
    "recurseIntoAttrs",
    "dontRecurseIntoAttrs",
    "hasPrefix",
    "hasSuffix",
    "removePrefix",
    "removeSuffix",
    "concatStringsSep",
    "concatMapStringsSep",
    "concatStrings",
    "concatMapStrings",
    "escapeShellArg",
    "escapeShellArgs",
    "makeBinPath",
    "makeSearchPath",
    "makeSearchPathOutput",
    "makeLibraryPath",
    "fix",
    "fix'",
    "extends",
    "flip",
    "id",
    "const",
    "elem",
    "unique",
    "flatten",
    "foldl",
    "foldl'",
    "foldr",
    "filter",
    "map",
    "head",
    "last",
    "init",
    "take",
    "drop",
    "range",
    "imap0",
    "imap1",
    "zipListsWith",
    "zipAttrsWith",
    "zipAttrs",
    "count",
    "any",
    "all",
    "toList",
    "singleton",
    "reverseList",
    "sort",
    "naturalSort",
    "versionOlder",
    "versionAtLeast",
    "splitString",
    "toUpper",
    "toLower",
    "stringToCharacters",
    "replaceStrings",
    "substring",
    "stringLength",
    "isString",
    "isList",
    "isAttrs",
    "isFunction",
    "isInt",
    "isBool",
    "boolToString",
    "getAttrFromPath",
    "attrByPath",
    "setAttrByPath",
    "hasAttrByPath",
    "collect",
    "isDerivation",
    "mapNullable",
    "warn",
    "warnIf",
    "throwIf",
    "throwIfNot",
    "assertMsg",
    "assertOneOf",
    "traceVal",
    "traceValSeq",
    "importJSON",
    "importTOML",
    "readFile",
    "pathExists",
    "cleanSource",
    "cleanSourceWith",
    "cleanSourceFilter",
    "sourceByRegex",
    "version",
]


@pytest.mark.parametrize("name", REQUIRED)
def test_required_name_is_defined(
    name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ours = _run_ci_eval(L(f"lib ? {name}"), monkeypatch, capsys)
    assert ours.stdout == "true\n", ours.stderr


def test_assert_one_of_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """nixpkgs renders the choices with ``generators.toPretty`` (multi-line)."""
    ours = _run_ci_eval(L('lib.assertOneOf "colour" "green" [ "red" "blue" ]'), monkeypatch, capsys)
    assert ours.status == 1
    assert 'colour must be one of [\n  "red"\n  "blue"\n], but is: "green"' in ours.stderr
