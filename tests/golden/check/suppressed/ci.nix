let
  version = "1.0"; # ci-eval: ignore[W001]
  # ci-eval: ignore[W001, W007]
  url = https://example.invalid/src.tar.gz;
  note = "# ci-eval: ignore[W001]";
in
{
  app = 1;
}
