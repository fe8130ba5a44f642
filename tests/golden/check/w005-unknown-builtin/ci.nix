{
  src = builtins.fetchTarbal "https://example.invalid/src.tar.gz";
  flake = builtins.getFlake or null;
}
