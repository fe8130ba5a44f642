let
  version = "1.0";
  _scratch = 2;
in
{
  app = 1;
}
