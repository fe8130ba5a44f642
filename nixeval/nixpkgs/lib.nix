# ci-eval's stand-in for nixpkgs' `lib` (nixos-23.11 era), for ci.nix files evaluated
# offline. Plain Nix 2.8, builtins only. Definitions follow nixpkgs' lib/*.nix; see
# README.md beside this file for provenance and for what is deliberately left out.
let
  inherit (builtins)
    all any attrNames attrValues catAttrs compareVersions concatLists concatMap
    concatStringsSep deepSeq elem elemAt filter foldl' fromJSON genList getAttr
    groupBy hasAttr head isAttrs isBool isFloat isFunction isInt isList isPath
    isString length listToAttrs map mapAttrs match parseDrvName partition pathExists
    readDir readFile replaceStrings seq sort split stringLength substring tail
    toJSON toString trace typeOf unsafeDiscardStringContext zipAttrsWith;

  # ------------------------------------------------------------------ trivial.nix
  trivial = rec {
    id = x: x;
    const = x: y: x;
    pipe = builtins.foldl' (x: f: f x);
    concat = x: y: x ++ y;
    or = x: y: x || y;
    and = x: y: x && y;
    bitAnd = builtins.bitAnd;
    bitOr = builtins.bitOr;
    bitXor = builtins.bitXor;
    bitNot = builtins.sub (-1);
    boolToString = b: if b then "true" else "false";
    mergeAttrs = x: y: x // y;
    flip = f: a: b: f b a;
    mapNullable = f: a: if a == null then a else f a;

    version = release + versionSuffix;
    release = "23.11";
    oldestSupportedRelease = 2305;
    isInOldestRelease = release: release <= oldestSupportedRelease;
    codeName = "Tapir";
    versionSuffix = "pre-ci-eval";
    inPureEvalMode = ! builtins ? currentSystem;

    min = x: y: if x < y then x else y;
    max = x: y: if x > y then x else y;
    mod = base: int: base - (int * (builtins.div base int));
    compare = a: b:
      if a < b
      then -1
      else if a > b
           then 1
           else 0;
    splitByAndCompare = p: yes: no: a: b:
      if p a
      then if p b then yes a b else -1
      else if p b then 1 else no a b;

    importJSON = path: builtins.fromJSON (builtins.readFile path);
    importTOML = path: builtins.fromTOML (builtins.readFile path);

    warn =
      if elem (builtins.getEnv "NIX_ABORT_ON_WARN") ["1" "true" "yes"]
      then msg: builtins.trace "[1;31mwarning: ${msg}[0m" (abort "NIX_ABORT_ON_WARN=true; warnings are treated as unrecoverable errors.")
      else msg: builtins.trace "[1;31mwarning: ${msg}[0m";
    warnIf = cond: msg: if cond then warn msg else x: x;
    warnIfNot = cond: msg: if cond then x: x else warn msg;
    throwIfNot = cond: msg: if cond then x: x else throw msg;
    throwIf = cond: msg: if cond then throw msg else x: x;
    checkListOfEnum = msg: valid: given:
      let
        unexpected = lists.subtractLists valid given;
      in
        throwIfNot (unexpected == [])
          "${msg}: ${builtins.concatStringsSep ", " (builtins.map builtins.toString unexpected)} unexpected; valid ones: ${builtins.concatStringsSep ", " (builtins.map builtins.toString valid)}";
    info = msg: builtins.trace "INFO: ${msg}";
    showWarnings = warnings: res: lists.foldr (w: x: warn w x) res warnings;

    setFunctionArgs = f: args:
      { # TODO: Should we add call-time "type" checking like built in?
        __functor = self: f;
        __functionArgs = args;
      };
    functionArgs = f:
      if f ? __functor
      then f.__functionArgs or (functionArgs (f.__functor f))
      else builtins.functionArgs f;
    isFunction = f: builtins.isFunction f ||
      (f ? __functor && isFunction (f.__functor f));
    toFunction = v: if isFunction v then v else k: v;

    toHexString = i:
      let
        toHexDigit = d:
          if d < 10
          then toString d
          else
            {
              "10" = "A";
              "11" = "B";
              "12" = "C";
              "13" = "D";
              "14" = "E";
              "15" = "F";
            }.${toString d};
      in
        strings.concatMapStrings toHexDigit (toBaseDigits 16 i);
    toBaseDigits = base: i:
      let
        go = i:
          if i < base
          then [i]
          else
            let
              r = i - ((i / base) * base);
              q = (i - r) / base;
            in
              [r] ++ go q;
      in
        assert (isInt base);
        assert (isInt i);
        assert (base >= 2);
        assert (i >= 0);
        lists.reverseList (go i);
  };

  # -------------------------------------------------------------------- lists.nix
  lists = rec {
    inherit (builtins) head tail length isList elemAt concatLists filter elem genList map;

    singleton = x: [x];
    forEach = xs: f: map f xs;

    foldr = op: nul: list:
      let
        len = length list;
        fold' = n:
          if n == len
          then nul
          else op (elemAt list n) (fold' (n + 1));
      in fold' 0;
    fold = foldr;

    foldl = op: nul: list:
      let
        foldl' = n:
          if n == -1
          then nul
          else op (foldl' (n - 1)) (elemAt list n);
      in foldl' (length list - 1);

    foldl' = builtins.foldl' or foldl;

    imap0 = f: list: genList (n: f n (elemAt list n)) (length list);
    imap1 = f: list: genList (n: f (n + 1) (elemAt list n)) (length list);

    concatMap = builtins.concatMap or (f: list: concatLists (map f list));

    flatten = x:
      if isList x
      then concatMap (y: flatten y) x
      else [x];

    remove = e: filter (x: x != e);

    findSingle = pred: default: multiple: list:
      let found = filter pred list; len = length found;
      in if len == 0 then default
        else if len != 1 then multiple
        else head found;

    findFirstIndex = pred: default: list:
      let
        resultIndex = foldl'
          (index: el:
            if index < 0 then
              if pred el then
                -index - 1
              else
                index - 1
            else
              index
          )
          (-1)
          list;
      in
      if resultIndex < 0 then
        default
      else
        resultIndex;

    findFirst = pred: default: list:
      let
        index = findFirstIndex pred null list;
      in
      if index == null then
        default
      else
        elemAt list index;

    any = builtins.any or (pred: foldr (x: y: if pred x then true else y) false);
    all = builtins.all or (pred: foldr (x: y: if pred x then y else false) true);

    count = pred: foldl' (c: x: if pred x then c + 1 else c) 0;

    optional = cond: elem: if cond then [elem] else [];
    optionals = cond: elems: if cond then elems else [];

    toList = x: if isList x then x else [x];

    range = first: last:
      if first > last then
        []
      else
        genList (n: first + n) (last - first + 1);

    replicate = n: elem: genList (_: elem) n;

    partition = builtins.partition or (pred:
      foldr (h: t:
        if pred h
        then { right = [h] ++ t.right; wrong = t.wrong; }
        else { right = t.right; wrong = [h] ++ t.wrong; }
      ) { right = []; wrong = []; });

    groupBy' = op: nul: pred: lst: builtins.mapAttrs (name: foldl op nul) (groupBy pred lst);

    groupBy = builtins.groupBy or (
      pred: foldl' (r: e:
        let
          key = pred e;
        in
          r // { ${key} = (r.${key} or []) ++ [e]; }
      ) {});

    zipListsWith = f: fst: snd:
      genList
        (n: f (elemAt fst n) (elemAt snd n)) (trivial.min (length fst) (length snd));

    zipLists = zipListsWith (fst: snd: { inherit fst snd; });

    reverseList = xs:
      let l = length xs; in genList (n: elemAt xs (l - n - 1)) l;

    sort = builtins.sort;

    compareLists = cmp: a: b:
      if a == []
      then if b == []
           then 0
           else -1
      else if b == []
           then 1
           else let rel = cmp (head a) (head b); in
                if rel == 0
                then compareLists cmp (tail a) (tail b)
                else rel;

    naturalSort = lst:
      let
        vectorise = s: map (x: if isList x then strings.toInt (head x) else x) (split "(0|[1-9][0-9]*)" s);
        prepared = map (x: [ (vectorise x) x ]) lst; # remember vectorised version for O(n) regex splits
        less = a: b: (compareLists trivial.compare (head a) (head b)) < 0;
      in
        map (x: elemAt x 1) (sort less prepared);

    take = count: sublist 0 count;

    drop = count: list: sublist count (length list) list;

    sublist = start: count: list:
      let len = length list; in
      genList
        (n: elemAt list (n + start))
        (if start >= len then 0
         else if start + count > len then len - start
         else count);

    last = list:
      assert asserts.assertMsg (list != []) "lists.last: list must not be empty!";
      elemAt list (length list - 1);

    init = list:
      assert asserts.assertMsg (list != []) "lists.init: list must not be empty!";
      take (length list - 1) list;

    unique = foldl' (acc: e: if elem e acc then acc else acc ++ [ e ]) [];

    allUnique = list: (length (unique list) == length list);

    intersectLists = e: filter (x: elem x e);

    subtractLists = e: filter (x: !(elem x e));

    mutuallyExclusive = a: b: length a == 0 || !(any (x: elem x a) b);
  };

  # ------------------------------------------------------------------ strings.nix
  strings = rec {
    inherit (builtins)
      compareVersions elem elemAt filter fromJSON genList head isInt isList
      isAttrs isPath isString match parseDrvName readFile replaceStrings split
      storeDir stringLength substring tail toJSON typeOf unsafeDiscardStringContext;

    concatStrings = builtins.concatStringsSep "";
    concatMapStrings = f: list: concatStrings (map f list);
    concatImapStrings = f: list: concatStrings (lists.imap1 f list);

    intersperse = separator: list:
      if list == [] || length list == 1
      then list
      else tail (lists.concatMap (x: [separator x]) list);

    concatStringsSep = builtins.concatStringsSep;
    concatMapStringsSep = sep: f: list: concatStringsSep sep (map f list);
    concatImapStringsSep = sep: f: list: concatStringsSep sep (lists.imap1 f list);
    concatLines = concatMapStrings (s: s + "\n");

    replicate = n: s: concatStrings (lists.replicate n s);

    makeSearchPath = subDir: paths:
      concatStringsSep ":" (map (path: path + "/" + subDir) (filter (x: x != null) paths));
    makeSearchPathOutput = output: subDir: pkgs:
      makeSearchPath subDir (map (attrsets.getOutput output) pkgs);
    makeLibraryPath = makeSearchPathOutput "lib" "lib";
    makeBinPath = makeSearchPathOutput "bin" "bin";

    normalizePath = s:
      trivial.warnIf
        (isPath s)
        ''
          lib.strings.normalizePath: The argument (${toString s}) is a path value, but only strings are supported.
              Path values are always normalised in Nix, so there's no need to call this function on them.
              This function also copies the path to the Nix store and returns the store path, the same as "''${path}" will, which may not be what you want.
              This behavior is deprecated and will throw an error in the future.''
        (
          builtins.foldl'
            (x: y: if y == "/" && hasSuffix "/" x then x else x+y)
            ""
            (stringToCharacters s)
        );

    optionalString = cond: string: if cond then string else "";

    hasPrefix = pref: str:
      trivial.warnIf
        (isPath pref)
        ''
          lib.strings.hasPrefix: The first argument (${toString pref}) is a path value, but only strings are supported.
              There is almost certainly a bug in the calling code, since this function always returns `false` in such a case.
              This function also copies the path to the Nix store, which may not be what you want.
              This behavior is deprecated and will throw an error in the future.
              You might want to use `lib.path.hasPrefix` instead, which correctly supports paths.''
        (substring 0 (stringLength pref) str == pref);

    hasSuffix = suffix: content:
      let
        lenContent = stringLength content;
        lenSuffix = stringLength suffix;
      in
      trivial.warnIf
        (isPath suffix)
        ''
          lib.strings.hasSuffix: The first argument (${toString suffix}) is a path value, but only strings are supported.
              There is almost certainly a bug in the calling code, since this function always returns `false` in such a case.
              This function also copies the path to the Nix store, which may not be what you want.
              This behavior is deprecated and will throw an error in the future.''
        (
          lenContent >= lenSuffix
          && substring (lenContent - lenSuffix) lenContent content == suffix
        );

    hasInfix = infix: content:
      trivial.warnIf
        (isPath infix)
        ''
          lib.strings.hasInfix: The first argument (${toString infix}) is a path value, but only strings are supported.
              There is almost certainly a bug in the calling code, since this function always returns `false` in such a case.
              This function also copies the path to the Nix store, which may not be what you want.
              This behavior is deprecated and will throw an error in the future.''
        (builtins.match ".*${escapeRegex infix}.*" "${content}" != null);

    stringToCharacters = s:
      genList (p: substring p 1 s) (stringLength s);

    stringAsChars = f: s:
      concatStrings (
        map f (stringToCharacters s)
      );

    escape = list: replaceStrings list (map (c: "\\${c}") list);

    escapeShellArg = arg: "'${replaceStrings ["'"] ["'\\''"] (toString arg)}'";
    escapeShellArgs = concatMapStringsSep " " escapeShellArg;

    isValidPosixName = name: match "[a-zA-Z_][a-zA-Z0-9_]*" name != null;

    toShellVar = name: value:
      trivial.throwIfNot (isValidPosixName name) "toShellVar: ${name} is not a valid shell variable name" (
      if isAttrs value && ! isStringLike value then
        "declare -A ${name}=(${
          concatStringsSep " " (attrsets.mapAttrsToList (n: v:
            "[${escapeShellArg n}]=${escapeShellArg v}"
          ) value)
        })"
      else if isList value then
        "declare -a ${name}=(${escapeShellArgs value})"
      else
        "${name}=${escapeShellArg value}"
      );

    toShellVars = vars: concatStringsSep "\n" (attrsets.mapAttrsToList toShellVar vars);

    escapeNixString = s: escape ["$"] (toJSON s);

    escapeRegex = escape (stringToCharacters "\\[{()^$?*+|.");

    escapeNixIdentifier = s:
      # Regex from https://github.com/NixOS/nix/blob/d048577909e383439c2549e849c5c2f2016c997e/src/libexpr/lexer.l#L91
      if match "[a-zA-Z_][a-zA-Z0-9_'-]*" s != null
      then s else escapeNixString s;

    escapeXML = builtins.replaceStrings
      ["\"" "'" "<" ">" "&"]
      ["&quot;" "&apos;" "&lt;" "&gt;" "&amp;"];

    lowerChars = stringToCharacters "abcdefghijklmnopqrstuvwxyz";
    upperChars = stringToCharacters "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

    toLower = replaceStrings upperChars lowerChars;
    toUpper = replaceStrings lowerChars upperChars;

    addContextFrom = a: b: substring 0 0 a + b;

    splitString = sep: s:
      let
        splits = builtins.filter builtins.isString (builtins.split (escapeRegex (toString sep)) (toString s));
      in
        map (addContextFrom s) splits;

    removePrefix = prefix: str:
      trivial.warnIf
        (isPath prefix)
        ''
          lib.strings.removePrefix: The first argument (${toString prefix}) is a path value, but only strings are supported.
              There is almost certainly a bug in the calling code, since this function never removes any prefix in such a case.
              This function also copies the path to the Nix store, which may not be what you want.
              This behavior is deprecated and will throw an error in the future.''
        (let
          preLen = stringLength prefix;
        in
          if substring 0 preLen str == prefix then
            # -1 will take the string until the end
            substring preLen (-1) str
          else
            str);

    removeSuffix = suffix: str:
      trivial.warnIf
        (isPath suffix)
        ''
          lib.strings.removeSuffix: The first argument (${toString suffix}) is a path value, but only strings are supported.
              There is almost certainly a bug in the calling code, since this function never removes any suffix in such a case.
              This function also copies the path to the Nix store, which may not be what you want.
              This behavior is deprecated and will throw an error in the future.''
        (let
          sufLen = stringLength suffix;
          sLen = stringLength str;
        in
          if sufLen <= sLen && suffix == substring (sLen - sufLen) sufLen str then
            substring 0 (sLen - sufLen) str
          else
            str);

    versionOlder = v1: v2: compareVersions v2 v1 == 1;
    versionAtLeast = v1: v2: !versionOlder v1 v2;

    getName = let
      parse = drv: (parseDrvName drv).name;
    in x:
      if isString x
      then parse x
      else x.pname or (parse x.name);

    getVersion = let
      parse = drv: (parseDrvName drv).version;
    in x:
      if isString x
      then parse x
      else x.version or (parse x.name);

    nameFromURL = url: sep:
      let
        components = splitString "/" url;
        filename = lists.last components;
        name = head (splitString sep filename);
      in assert name != filename; name;

    enableFeature = enable: feat:
      assert isString feat; # e.g. passing openssl instead of "openssl"
      "--${if enable then "enable" else "disable"}-${feat}";
    enableFeatureAs = enable: feat: value: enableFeature enable feat + optionalString enable "=${value}";
    withFeature = with_: feat:
      assert isString feat; # e.g. passing openssl instead of "openssl"
      "--${if with_ then "with" else "without"}-${feat}";
    withFeatureAs = with_: feat: value: withFeature with_ feat + optionalString with_ "=${value}";

    fixedWidthString = width: filler: str:
      let
        strw = stringLength str;
        reqWidth = width - (stringLength filler);
      in
        assert asserts.assertMsg (strw <= width)
          "fixedWidthString: requested string length (${
            toString width}) must not be shorter than actual length (${
              toString strw})";
        if strw == width then str else filler + fixedWidthString reqWidth filler str;

    fixedWidthNumber = width: n: fixedWidthString width "0" (toString n);

    floatToString = float: let
      result = toString float;
      precise = float == fromJSON result;
    in trivial.warnIf (!precise) "Imprecise conversion from float to string ${result}"
      result;

    isConvertibleWithToString = x:
      isStringLike x ||
      elem (typeOf x) [ "null" "int" "float" "bool" ] ||
      (isList x && lists.all isConvertibleWithToString x);

    isStringLike = x:
      isString x ||
      isPath x ||
      x ? outPath ||
      x ? __toString;

    isStorePath = x:
      if isStringLike x then
        let str = toString x; in
        substring 0 1 str == "/"
        && dirOf str == storeDir
      else
        false;

    toInt = str:
      let
        # RegEx: Match any leading whitespace, possibly a '-', one or more digits,
        # and finally match any trailing whitespace.
        strippedInput = match "[[:space:]]*(-?[[:digit:]]+)[[:space:]]*" str;

        # RegEx: Match a leading '0' then one or more digits.
        isLeadingZero = match "0[[:digit:]]+" (head strippedInput) == [];

        # Attempt to parse input
        parsedInput = fromJSON (head strippedInput);

        generalError = "toInt: Could not convert ${escapeNixString str} to int.";

        octalAmbigError = "toInt: Ambiguity in interpretation of ${escapeNixString str}"
        + " between octal and zero padded integer.";

      in
        # Error on presence of non digit characters.
        if strippedInput == null
        then throw generalError
        # Error on presence of leading zero/octal ambiguity.
        else if isLeadingZero
        then throw octalAmbigError
        # Error if parse function fails.
        else if !isInt parsedInput
        then throw generalError
        # Return result.
        else parsedInput;

    toIntBase10 = str:
      let
        # RegEx: Match any leading whitespace, then match any zero padding,
        # capture possibly a '-' followed by one or more digits,
        # and finally match any trailing whitespace.
        strippedInput = match "[[:space:]]*0*(-?[[:digit:]]+)[[:space:]]*" str;

        # RegEx: Match at least one '0'.
        isZero = match "0+" (head strippedInput) == [];

        # Attempt to parse input
        parsedInput = fromJSON (head strippedInput);

        generalError = "toIntBase10: Could not convert ${escapeNixString str} to int.";

      in
        # Error on presence of non digit characters.
        if strippedInput == null
        then throw generalError
        # In the special case zero-padded zero (00000), return early.
        else if isZero
        then 0
        # Error if parse function fails.
        else if !isInt parsedInput
        then throw generalError
        # Return result.
        else parsedInput;

    fileContents = file: removeSuffix "\n" (readFile file);

    sanitizeDerivationName =
    let okRegex = match "[[:alnum:]+_?=-][[:alnum:]+._?=-]*";
    in
    string:
    # First detect the common case of already valid strings, to speed those up
    if stringLength string <= 207 && okRegex string != null
    then unsafeDiscardStringContext string
    else trivial.pipe string [
      # Get rid of string context. This is safe under the assumption that the
      # resulting string is only used as a derivation name
      unsafeDiscardStringContext
      # Strip all leading "."
      (x: elemAt (match "\\.*(.*)" x) 0)
      # Split out all invalid characters
      (split "[^[:alnum:]+._?=-]+")
      # Replace invalid character ranges with a "-"
      (concatMapStrings (s: if lists.isList s then "-" else s))
      # Limit to 211 characters (minus 4 chars for ".drv")
      (x: substring (trivial.max (stringLength x - 207) 0) (-1) x)
      # If the result is empty, replace it with "unknown"
      (x: if stringLength x == 0 then "unknown" else x)
    ];
  };

  # ----------------------------------------------------------------- attrsets.nix
  attrsets = rec {
    inherit (builtins) attrNames listToAttrs hasAttr isAttrs getAttr removeAttrs;

    attrByPath = attrPath: default: set:
      let
        lenAttrPath = length attrPath;
        attrByPath' = n: s: (
          if n == lenAttrPath then s
          else (
            let
              attr = elemAt attrPath n;
            in
            if s ? ${attr} then attrByPath' (n + 1) s.${attr}
            else default
          )
        );
      in
        attrByPath' 0 set;

    hasAttrByPath = attrPath: e:
      let
        lenAttrPath = length attrPath;
        hasAttrByPath' = n: s: (
          n == lenAttrPath || (
            let
              attr = elemAt attrPath n;
            in
            if s ? ${attr} then hasAttrByPath' (n + 1) s.${attr}
            else false
          )
        );
      in
        hasAttrByPath' 0 e;

    setAttrByPath = attrPath: value:
      let
        len = length attrPath;
        atDepth = n:
          if n == len
          then value
          else { ${elemAt attrPath n} = atDepth (n + 1); };
      in atDepth 0;

    getAttrFromPath = attrPath: set:
      attrByPath attrPath (abort ("cannot find attribute `" + concatStringsSep "." attrPath + "'")) set;

    concatMapAttrs = f: v:
      lists.foldl' trivial.mergeAttrs { }
        (attrValues
          (mapAttrs f v)
        );

    attrVals = nameList: set: map (x: set.${x}) nameList;

    attrValues = builtins.attrValues;

    getAttrs = names: attrs: genAttrs names (name: attrs.${name});

    catAttrs = builtins.catAttrs;

    filterAttrs = pred: set:
      listToAttrs (concatMap (name: let v = set.${name}; in if pred name v then [(nameValuePair name v)] else []) (attrNames set));

    filterAttrsRecursive = pred: set:
      listToAttrs (
        concatMap (name:
          let v = set.${name}; in
          if pred name v then [
            (nameValuePair name (
              if isAttrs v then filterAttrsRecursive pred v
              else v
            ))
          ] else []
        ) (attrNames set)
      );

    foldlAttrs = f: init: set:
      lists.foldl'
        (acc: name: f acc name set.${name})
        init
        (attrNames set);

    foldAttrs = op: nul:
      lists.foldl (a: n:
        lists.foldl (a: name:
          a // { ${name} = op n.${name} (a.${name} or nul); }
        ) a (attrNames n)
      ) {};

    collect = pred: attrs:
      if pred attrs then
        [ attrs ]
      else if isAttrs attrs then
        concatMap (collect pred) (attrValues attrs)
      else
        [];

    cartesianProductOfSets = attrsOfLists:
      lists.foldl' (listOfAttrs: attrName:
        concatMap (attrs:
          map (listValue: attrs // { ${attrName} = listValue; }) attrsOfLists.${attrName}
        ) listOfAttrs
      ) [{}] (attrNames attrsOfLists);

    nameValuePair = name: value: { inherit name value; };

    mapAttrs = builtins.mapAttrs;

    mapAttrs' = f: set:
      listToAttrs (map (attr: f attr set.${attr}) (attrNames set));

    mapAttrsToList = f: attrs:
      map (name: f name attrs.${name}) (attrNames attrs);

    mapAttrsFlatten = mapAttrsToList;

    attrsToList = mapAttrsToList nameValuePair;

    mapAttrsRecursive = mapAttrsRecursiveCond (as: true);

    mapAttrsRecursiveCond = cond: f: set:
      let
        recurse = path:
          let
            g =
              name: value:
              if isAttrs value && cond value
                then recurse (path ++ [name]) value
                else f (path ++ [name]) value;
          in mapAttrs g;
      in recurse [] set;

    genAttrs = names: f:
      listToAttrs (map (n: nameValuePair n (f n)) names);

    isDerivation = value: value.type or null == "derivation";

    optionalAttrs = cond: as: if cond then as else {};

    zipAttrsWithNames = names: f: sets:
      listToAttrs (map (name: {
        inherit name;
        value = f name (catAttrs name sets);
      }) names);

    zipAttrsWith = builtins.zipAttrsWith or (f: sets: zipAttrsWithNames (concatMap attrNames sets) f sets);

    zipAttrs = zipAttrsWith (name: values: values);

    mergeAttrsList = list:
      let
        # `binaryMerge start end` merges the elements at indices `index` of `list` such that `start <= index < end`
        # Type: Int -> Int -> Attrs
        binaryMerge = start: end:
          # assert start < end; # Invariant
          if end - start >= 2 then
            # If there's at least 2 elements, split the range in two, recurse on each part and merge the result
            # The invariant is satisfied because each half will have at least 1 element
            binaryMerge start (start + (end - start) / 2)
            // binaryMerge (start + (end - start) / 2) end
          else
            # Otherwise there will be exactly 1 element due to the invariant, in which case we just return it directly
            elemAt list start;
      in
      if list == [ ] then
        # Calling binaryMerge as below would not satisfy its invariant
        { }
      else
        binaryMerge 0 (length list);

    recursiveUpdateUntil = pred: lhs: rhs:
      let f = attrPath:
        zipAttrsWith (n: values:
          let here = attrPath ++ [n]; in
          if length values == 1
          || pred here (elemAt values 1) (head values) then
            head values
          else
            f here values
        );
      in f [] [rhs lhs];

    recursiveUpdate = lhs: rhs:
      recursiveUpdateUntil (path: lhs: rhs: !(isAttrs lhs && isAttrs rhs)) lhs rhs;

    matchAttrs = pattern: attrs:
      assert isAttrs pattern;
      lists.all
      ( # Compare equality between `pattern` & `attrs`.
        attr:
        # Missing attr, not equal.
        attrs ? ${attr} && (
          let
            lhs = pattern.${attr};
            rhs = attrs.${attr};
          in
          # If attrset check recursively
          if isAttrs lhs then isAttrs rhs && matchAttrs lhs rhs
          else lhs == rhs
        )
      )
      (attrNames pattern);

    overrideExisting = old: new:
      mapAttrs (name: value: new.${name} or value) old;

    showAttrPath = path:
      if path == [] then "<root attribute path>"
      else concatMapStringsSep "." strings.escapeNixIdentifier path;

    getOutput = output: pkg:
      if ! pkg ? outputSpecified || ! pkg.outputSpecified
        then pkg.${output} or pkg.out or pkg
        else pkg;

    getBin = getOutput "bin";
    getLib = getOutput "lib";
    getDev = getOutput "dev";
    getMan = getOutput "man";

    chooseDevOutputs = builtins.map getDev;

    recurseIntoAttrs = attrs: attrs // { recurseForDerivations = true; };
    dontRecurseIntoAttrs = attrs: attrs // { recurseForDerivations = false; };

    unionOfDisjoint = x: y:
      let
        intersection = builtins.intersectAttrs x y;
        collisions = concatStringsSep " " (builtins.attrNames intersection);
        mask = builtins.mapAttrs (name: value: builtins.throw
          "unionOfDisjoint: collision on ${name}; complete list: ${collisions}")
          intersection;
      in
        (x // y) // mask;

    # local helpers (as in attrsets.nix, via `inherit (lib.strings)` / `(lib.lists)`)
    inherit (strings) concatMapStringsSep;
  };

  # -------------------------------------------------------------- fixed-points.nix
  fixedPoints = rec {
    fix = f: let x = f x; in x;
    fix' = f: let x = f x // { __unfix__ = f; }; in x;
    converge = f: x:
      let
        x' = f x;
      in
        if x' == x
        then x
        else converge f x';
    extends = f: rattrs: self: let super = rattrs self; in super // f self super;
    composeExtensions =
      f: g: final: prev:
        let fApplied = f final prev;
            prev' = prev // fApplied;
        in fApplied // g final prev';
    composeManyExtensions =
      lists.foldr (x: y: composeExtensions x y) (final: prev: {});
    makeExtensible = makeExtensibleWithCustomName "extend";
    makeExtensibleWithCustomName = extenderName: rattrs:
      fix' (self: (rattrs self) // {
        ${extenderName} = f: makeExtensibleWithCustomName extenderName (extends f rattrs);
      });
  };

  # ------------------------------------------------------------------- debug.nix
  debug = rec {
    inherit (builtins) trace;
    traceIf = pred: msg: x: if pred then trace msg x else x;
    traceValFn = f: x: trace (f x) x;
    traceVal = traceValFn trivial.id;
    traceSeq = x: y: trace (builtins.deepSeq x x) y;
    traceValSeqFn = f: v: traceValFn f (builtins.deepSeq v v);
    traceValSeq = traceValSeqFn trivial.id;
    runTests =
      tests: concatLists (attrValues (mapAttrs (name: test:
      let testsToRun = if tests ? tests then tests.tests else [];
      in if (substring 0 4 name == "test" ||  elem name testsToRun)
         && ((testsToRun == []) || elem name tests.tests)
         && (test.expr != test.expected)

        then [ { inherit name; expected = test.expected; result = test.expr; } ]
        else [] ) tests));
    testAllTrue = expr: { inherit expr; expected = map (x: true) expr; };
  };

  # ----------------------------------------------------------------- asserts.nix
  asserts = rec {
    assertMsg = pred: msg: pred || builtins.throw msg;
    assertOneOf = name: val: xs:
      assertMsg
      (elem val xs)
      "${name} must be one of ${
        generators.toPretty {} xs}, but is: ${
          generators.toPretty {} val}";
    assertEachOneOf = name: vals: xs:
      assertMsg
      (lists.all (val: elem val xs) vals)
      "each element in ${name} must be one of ${
        generators.toPretty {} xs}, but is: ${
          generators.toPretty {} vals}";
  };

  # -------------------------------------------------------------- generators.nix
  generators = {
    toJSON = {}: builtins.toJSON;
    toYAML = {}: builtins.toJSON;

    toPretty = {
      allowPrettyValues ? false,
      multiline ? true,
      indent ? ""
    }:
      let
      go = indent: v: with builtins;
      let     isPath   = v: typeOf v == "path";
              introSpace = if multiline then "\n${indent}  " else " ";
              outroSpace = if multiline then "\n${indent}" else " ";
      in if   isInt      v then toString v
      else if isFloat    v then builtins.toJSON v
      else if isString   v then
        let
          lines = filter (v: ! isList v) (builtins.split "\n" v);
          escapeSingleline = strings.escape [ "\\" "\"" "\${" ];
          escapeMultiline = builtins.replaceStrings [ "\${" "''" ] [ "''\${" "'''" ];
          singlelineResult = "\"" + concatStringsSep "\\n" (map escapeSingleline lines) + "\"";
          multilineResult = let
            escapedLines = map escapeMultiline lines;
            lastLine = lists.last escapedLines;
          in "''" + introSpace + concatStringsSep introSpace (lists.init escapedLines)
                   + (if lastLine == "" then outroSpace else introSpace + lastLine) + "''";
        in
          if multiline && length lines > 1 then multilineResult else singlelineResult
      else if true  ==   v then "true"
      else if false ==   v then "false"
      else if null  ==   v then "null"
      else if isPath     v then toString v
      else if isList     v then
        if v == [] then "[ ]"
        else "[" + introSpace
          + strings.concatMapStringsSep introSpace (go (indent + "  ")) v
          + outroSpace + "]"
      else if isFunction v then
        let fna = trivial.functionArgs v;
            showFnas = concatStringsSep ", " (attrsets.mapAttrsToList
                         (name: hasDefVal: if hasDefVal then name + "?" else name)
                         fna);
        in if fna == {}    then "<function>"
                           else "<function, args: {${showFnas}}>"
      else if isAttrs    v then
        if allowPrettyValues && v ? __pretty && v ? val
           then v.__pretty v.val
        else if v == {} then "{ }"
        else if v ? type && v.type == "derivation" then
          "<derivation ${v.name or "???"}>"
        else "{" + introSpace
            + concatStringsSep introSpace (attrsets.mapAttrsToList
                (name: value:
                  "${strings.escapeNixIdentifier name} = ${
                    builtins.addErrorContext "while evaluating an attribute `${name}`"
                      (go (indent + "  ") value)
                  };") v)
          + outroSpace + "}"
      else abort "generators.toPretty: should never happen (v = ${v})";
    in go indent;
  };

  # ------------------------------------------------------------------ versions.nix
  versions = rec {
    splitVersion = builtins.splitVersion;
    major = v: builtins.elemAt (splitVersion v) 0;
    minor = v: builtins.elemAt (splitVersion v) 1;
    patch = v: builtins.elemAt (splitVersion v) 2;
    majorMinor = v:
      builtins.concatStringsSep "."
      (lists.take 2 (splitVersion v));
    pad = n: version: let
      numericVersion = lists.head (strings.splitString "-" version);
      versionSuffix = strings.removePrefix numericVersion version;
    in strings.concatStringsSep "." (lists.take n (splitVersion numericVersion ++ lists.genList (_: "0") n)) + versionSuffix;
  };

  # ---------------------------------------------------------------- filesystem.nix
  filesystem = rec {
    pathType =
      builtins.readFileType or
      # Nix <2.14 compatibility shim
      (path:
        if ! pathExists path
        # Fail irrecoverably to mimic the historic behavior of this function and
        # the new builtins.readFileType
        then abort "lib.filesystem.pathType: Path ${toString path} does not exist."
        # The filesystem root is the only path where `dirOf / == /` and
        # `baseNameOf /` is not valid. We can detect this and directly return
        # "directory", since we know the filesystem root can't be anything else.
        else if dirOf path == path
        then "directory"
        else (readDir (dirOf path)).${baseNameOf path}
      );
    pathIsDirectory = path:
      pathExists path && pathType path == "directory";
    pathIsRegularFile = path:
      pathExists path && pathType path == "regular";
    listFilesRecursive =
      dir:
      lists.flatten (attrsets.mapAttrsToList (name: type:
        if type == "directory" then
          listFilesRecursive (dir + "/${name}")
        else
          dir + "/${name}"
      ) (builtins.readDir dir));
  };

  # ------------------------------------------------------------------ sources.nix
  sources = rec {
    inherit (filesystem) pathType pathIsDirectory pathIsRegularFile;

    cleanSourceFilter = name: type:
      let baseName = baseNameOf (toString name); in
      ! (
        # Filter out version control software files/directories
        (baseName == ".git" || type == "directory" && (baseName == ".svn" || baseName == "CVS" || baseName == ".hg")) ||
        # Filter out editor backup / swap files.
        strings.hasSuffix "~" baseName ||
        builtins.match "^\\.sw[a-z]$" baseName != null ||
        builtins.match "^\\..*\\.sw[a-z]$" baseName != null ||

        # Filter out generates files.
        strings.hasSuffix ".o" baseName ||
        strings.hasSuffix ".so" baseName ||
        # Filter out nix-build result symlinks
        (type == "symlink" && strings.hasPrefix "result" baseName) ||
        # Filter out sockets and other types of files we can't have in the store.
        (type == "unknown")
      );

    cleanSource = src: cleanSourceWith { filter = cleanSourceFilter; inherit src; };

    cleanSourceWith =
      { src
      , filter ? _path: _type: true
      , name ? null
      }:
      let
        orig = toSourceAttributes src;
      in fromSourceAttributes {
        inherit (orig) origSrc;
        filter = path: type: filter path type && orig.filter path type;
        name = if name != null then name else orig.name;
      };

    trace =
      src:
      let
        attrs = toSourceAttributes src;
      in
        fromSourceAttributes (
          attrs // {
            filter = path: type:
              let
                r = attrs.filter path type;
              in
                builtins.trace "${attrs.name}.filter ${path} = ${trivial.boolToString r}" r;
          }
        ) // {
          satisfiesSubpathInvariant = src ? satisfiesSubpathInvariant && src.satisfiesSubpathInvariant;
        };

    sourceByRegex = src: regexes:
      let
        isFiltered = src ? _isLibCleanSourceWith;
        origSrc = if isFiltered then src.origSrc else src;
      in cleanSourceWith {
        filter = (path: type:
          let relPath = strings.removePrefix (toString origSrc + "/") (toString path);
          in lists.any (re: builtins.match re relPath != null) regexes);
        inherit src;
      };

    sourceFilesBySuffices =
      src:
      exts:
      let
        filter = name: type:
          let base = baseNameOf (toString name);
          in type == "directory" || lists.any (ext: strings.hasSuffix ext base) exts;
      in cleanSourceWith { inherit filter src; };

    pathHasContext = builtins.hasContext or (strings.hasPrefix builtins.storeDir);

    canCleanSource = src: src ? _isLibCleanSourceWith || !(pathHasContext (toString src));

    toSourceAttributes = src:
      let
        isFiltered = src ? _isLibCleanSourceWith;
      in
      {
        origSrc = if isFiltered then src.origSrc else src;
        filter = if isFiltered then src.filter else _: _: true;
        name = if isFiltered then src.name else "source";
      };

    fromSourceAttributes = { origSrc, filter, name }:
      {
        _isLibCleanSourceWith = true;
        inherit origSrc filter name;
        outPath = builtins.path { inherit filter name; path = origSrc; };
      };
  };

  # ---------------------------------------------------------------- lib/default.nix
  lib = {
    inherit trivial lists strings attrsets fixedPoints debug asserts generators
      versions filesystem sources;

    inherit (builtins)
      add addErrorContext attrNames concatLists deepSeq elem elemAt filter
      genericClosure genList getAttr hasAttr head isAttrs isBool isInt isList
      isPath isString length lessThan listToAttrs pathExists readFile
      replaceStrings seq stringLength sub substring tail trace;
    # Not at nixpkgs' top level (only `lib.lists.map`): kept for ci files that use it.
    inherit (builtins) map;

    inherit (trivial) id const pipe concat or and bitAnd bitOr bitXor
      bitNot boolToString mergeAttrs flip mapNullable min max
      importJSON importTOML warn warnIf warnIfNot throwIf throwIfNot checkListOfEnum
      info showWarnings version isInOldestRelease
      mod compare splitByAndCompare
      functionArgs setFunctionArgs isFunction toFunction
      toHexString toBaseDigits inPureEvalMode;
    inherit (fixedPoints) fix fix' converge extends composeExtensions
      composeManyExtensions makeExtensible makeExtensibleWithCustomName;
    inherit (attrsets) attrByPath hasAttrByPath setAttrByPath
      getAttrFromPath attrVals attrValues getAttrs catAttrs filterAttrs
      filterAttrsRecursive foldlAttrs foldAttrs collect nameValuePair mapAttrs
      mapAttrs' mapAttrsToList attrsToList concatMapAttrs mapAttrsRecursive
      mapAttrsRecursiveCond genAttrs isDerivation optionalAttrs
      zipAttrsWithNames zipAttrsWith zipAttrs recursiveUpdateUntil
      recursiveUpdate matchAttrs mergeAttrsList overrideExisting showAttrPath getOutput
      getBin getLib getDev getMan chooseDevOutputs
      recurseIntoAttrs dontRecurseIntoAttrs cartesianProductOfSets
      mapAttrsFlatten unionOfDisjoint;
    inherit (lists) singleton forEach foldr fold foldl foldl' imap0 imap1
      concatMap flatten remove findSingle findFirst any all count
      optional optionals toList range replicate partition zipListsWith zipLists
      reverseList sort naturalSort compareLists take
      drop sublist last init unique allUnique intersectLists
      subtractLists mutuallyExclusive groupBy groupBy' findFirstIndex;
    inherit (strings) concatStrings concatMapStrings concatImapStrings
      intersperse concatStringsSep concatMapStringsSep
      concatImapStringsSep concatLines makeSearchPath makeSearchPathOutput
      makeLibraryPath makeBinPath optionalString
      hasInfix hasPrefix hasSuffix stringToCharacters stringAsChars escape
      escapeShellArg escapeShellArgs
      isStorePath isStringLike
      isValidPosixName toShellVar toShellVars
      escapeRegex escapeXML lowerChars
      upperChars toLower toUpper addContextFrom splitString
      removePrefix removeSuffix versionOlder versionAtLeast
      getName getVersion
      nameFromURL enableFeature enableFeatureAs withFeature
      withFeatureAs fixedWidthString fixedWidthNumber floatToString
      toInt toIntBase10 fileContents sanitizeDerivationName
      escapeNixString escapeNixIdentifier isConvertibleWithToString;
    inherit (sources) pathType pathIsDirectory cleanSourceFilter
      cleanSource sourceByRegex sourceFilesBySuffices
      cleanSourceWith pathHasContext
      canCleanSource pathIsRegularFile;
    inherit (versions) splitVersion;
    inherit (debug) traceIf traceVal traceValFn
      traceSeq traceValSeq traceValSeqFn
      runTests testAllTrue;
    inherit (asserts) assertMsg assertOneOf;
    inherit (filesystem) listFilesRecursive;

    fakeHash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    fakeSha256 = "0000000000000000000000000000000000000000000000000000000000000000";
    fakeSha512 = "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";
  };
in
lib
