{
  src = builtins.fetchTarball https://example.invalid/src.tar.gz;
}
