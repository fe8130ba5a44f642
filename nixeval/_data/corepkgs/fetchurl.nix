# <nix/fetchurl.nix>: the function Nix 2.8 builds into itself (one of its "corepkgs"),
# for a fixed-output derivation that Nix's own `builtin:fetchurl` builder downloads.
# ci-eval provides the same function, so that the derivation, and so its store path, is
# the one Nix makes (tests/test_corepkgs.py compares them with nix-instantiate's).
{
  # Accepted and unused: the derivation is built by Nix itself, on any system.
  system ? "",
  url,
  # An SRI hash ("sha256-…"), which names its own algorithm; or one of the older
  # arguments below, which name theirs.
  hash ? "",
  md5 ? "",
  sha1 ? "",
  sha256 ? "",
  sha512 ? "",
  # The first hash given, in this order of preference: hash, sha512, sha1, md5, sha256.
  outputHash ?
    if hash != "" then hash
    else if sha512 != "" then sha512
    else if sha1 != "" then sha1
    else if md5 != "" then md5
    else sha256,
  outputHashAlgo ?
    if hash != "" then ""
    else if sha512 != "" then "sha512"
    else if sha1 != "" then "sha1"
    else if md5 != "" then "md5"
    else "sha256",
  executable ? false,
  unpack ? false,
  name ? baseNameOf (toString url),
}:

derivation {
  inherit name url executable unpack outputHash outputHashAlgo;
  builder = "builtin:fetchurl";
  system = "builtin";
  # An unpacked or executable download is hashed as a file tree, else as plain bytes.
  outputHashMode = if unpack || executable then "recursive" else "flat";
  urls = [ url ];
  preferLocalBuild = true;
  # The caller's proxy settings reach the download.
  impureEnvVars = [ "http_proxy" "https_proxy" "ftp_proxy" "all_proxy" "no_proxy" ];
}
